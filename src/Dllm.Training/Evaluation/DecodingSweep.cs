using Dllm.Training.Data;
using Microsoft.Extensions.Logging;

namespace Dllm.Training.Evaluation;

/// <summary>
/// The speed/quality trade-off of LowConfidence on a trained checkpoint: exact match and tokens per forward of every
/// task of an evaluation set at each threshold and block size (the table of docs/demo-model.md).
/// </summary>
public static class DecodingSweep
{
    /// <summary>The thresholds the docs' table uses.</summary>
    public static IReadOnlyList<double> DefaultThresholds { get; } = [0.5, 0.7, 0.8, 0.9, 0.95, 0.99];

    /// <summary>The block sizes the docs' table uses.</summary>
    public static IReadOnlyList<int> DefaultBlockSizes { get; } = [16, 32];

    /// <summary>Decodes <paramref name="examples"/> at every threshold × block size; with <paramref name="logMisses"/> every
    /// answer that does not match is logged with the one expected.</summary>
    public static async Task<IReadOnlyList<SweepRow>> RunAsync(string modelPath, IReadOnlyList<DemoExample> examples, string device,
        IReadOnlyList<double> thresholds, IReadOnlyList<int> blockSizes, ILogger logger, CancellationToken cancellationToken, bool logMisses = false)
    {
        var rows = new List<SweepRow>();
        // One engine for every setting: each request carries its own threshold and block size.
        await using var engine = await ExactMatchEvaluator.CreateEngineAsync(modelPath, device, null, cancellationToken).ConfigureAwait(false);
        foreach (int blockSize in blockSizes)
        {
            foreach (double threshold in thresholds)
            {
                var report = await ExactMatchEvaluator.EvaluateAsync(engine, examples, step: 0, threshold, blockSize, cancellationToken).ConfigureAwait(false);
                logger.DecodingSweepRow(threshold, blockSize, string.Join(", ", report.Tasks.Select(t => $"{t.Task} {t.Accuracy:P0} ({t.TokensPerForward:F1} tok/fwd)")));
                if (logMisses)
                {
                    foreach (var (task, expected, generated) in report.Misses)
                        logger.DecodingSweepMiss(threshold, blockSize, task, MissText.Shorten(expected), MissText.Shorten(generated));
                }
                rows.Add(new SweepRow(threshold, blockSize, report.Tasks));
            }
        }
        return rows;
    }
}
