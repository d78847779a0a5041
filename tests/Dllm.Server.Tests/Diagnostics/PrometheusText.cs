using System.Globalization;

namespace Dllm.Server.Tests.Diagnostics;

/// <summary>The samples of a Prometheus text exposition: <c>name{labels} value</c> lines, comments left out.</summary>
internal sealed class PrometheusText
{
    private readonly List<(string Name, string Labels, double Value)> _samples;

    private PrometheusText(List<(string, string, double)> samples) => _samples = samples;

    public static PrometheusText Parse(string text)
    {
        var samples = new List<(string, string, double)>();
        foreach (string line in text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith('#'))
                continue;
            int brace = line.IndexOf('{', StringComparison.Ordinal);
            int end = brace >= 0 ? line.LastIndexOf('}') : line.IndexOf(' ', StringComparison.Ordinal);
            string name = line[..(brace >= 0 ? brace : end)];
            string labels = brace >= 0 ? line[(brace + 1)..end] : "";
            string[] rest = line[(end + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            samples.Add((name, labels, double.Parse(rest[0], CultureInfo.InvariantCulture)));
        }
        return new PrometheusText(samples);
    }

    /// <summary>The sum of the samples named <paramref name="name"/> whose labels contain every one of <paramref name="labels"/> (<c>key="value"</c>); fails when there is none.</summary>
    public double Value(string name, params string[] labels)
    {
        var matching = _samples.Where(s => s.Name == name && labels.All(l => s.Labels.Contains(l, StringComparison.Ordinal))).ToList();
        Assert.True(matching.Count > 0, $"no sample {name}{{{string.Join(",", labels)}}}; names: {string.Join(" ", _samples.Select(s => s.Name).Distinct())}");
        return matching.Sum(s => s.Value);
    }
}
