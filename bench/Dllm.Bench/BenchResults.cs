using System.Text;

namespace Dllm.Bench;

/// <summary>A prefill measurement.</summary>
internal sealed record PrefillRow(int Tokens, double MedianMs, double TokensPerSecond);

/// <summary>A denoising-step measurement.</summary>
internal sealed record StepRow(int Prefix, int Batch, double MedianMs, double P90Ms, long BytesRead, double AchievedGBps, double RatioToFloor, double? GpuMemoryUsedGB, long TensorsPerStep);

/// <summary>Everything one benchmark run measured; printed as a table and written as JSON.</summary>
internal sealed class BenchResults
{
    public required string Device { get; init; }
    public required string Shape { get; init; }
    public required string DType { get; init; }
    public required string Date { get; init; }
    public double LoadSeconds { get; set; }
    public string LoadSource { get; set; } = "";
    public long WeightBytes { get; set; }
    public bool CudaGraphs { get; set; }
    public List<PrefillRow> Prefill { get; } = [];
    public List<StepRow> Steps { get; } = [];

    public string ToTable()
    {
        var text = new StringBuilder();
        text.AppendLine($"device {Device}, shape {Shape}, {DType}, CUDA graphs {(CudaGraphs ? "on" : "off")}, {Date}");
        text.AppendLine($"load ({LoadSource}): {LoadSeconds:F1} s for {WeightBytes / 1e9:F1} GB ({WeightBytes / 1e9 / LoadSeconds:F2} GB/s)");
        text.AppendLine();
        text.AppendLine("| prefill tokens | median ms | tokens/s |");
        text.AppendLine("|---:|---:|---:|");
        foreach (var p in Prefill)
            text.AppendLine($"| {p.Tokens} | {p.MedianMs:F1} | {p.TokensPerSecond:F0} |");
        text.AppendLine();
        text.AppendLine("| cached prefix | batch | median ms | p90 ms | GB read | achieved GB/s | × floor | GPU mem GB | tensor ops/step |");
        text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var s in Steps)
            text.AppendLine($"| {s.Prefix} | {s.Batch} | {s.MedianMs:F2} | {s.P90Ms:F2} | {s.BytesRead / 1e9:F1} | {s.AchievedGBps:F0} | {s.RatioToFloor:F2} | {s.GpuMemoryUsedGB?.ToString("F1") ?? "-"} | {s.TensorsPerStep} |");
        return text.ToString();
    }
}

/// <summary>Median and percentiles.</summary>
internal static class Stats
{
    public static double Median(IReadOnlyList<double> values) => Percentile(values, 0.5);

    public static double Percentile(IReadOnlyList<double> values, double q)
    {
        var sorted = values.Order().ToArray();
        return sorted[(int)Math.Min(sorted.Length - 1, Math.Round(q * (sorted.Length - 1)))];
    }
}
