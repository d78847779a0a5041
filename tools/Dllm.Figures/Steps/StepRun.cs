using System.Globalization;
using System.Text.Json;

namespace Dllm.Figures.Steps;

/// <summary>One run of the step bench (<c>Dllm.Bench --json</c>): when and where it ran, and its median step time by
/// batch size at one cached prefix.</summary>
/// <param name="File">The JSON file the run was read from.</param>
/// <param name="Date">The run's <c>Date</c> (UTC).</param>
/// <param name="Device">The run's <c>Device</c>.</param>
/// <param name="MedianMsByBatch">The <c>MedianMs</c> of each <c>Steps</c> row at the prefix, by its <c>Batch</c>.</param>
public sealed record StepRun(string File, DateTimeOffset Date, string Device, IReadOnlyDictionary<int, double> MedianMsByBatch)
{
    /// <summary>Reads the rows of <paramref name="path"/>'s <c>Steps</c> whose <c>Prefix</c> is
    /// <paramref name="prefix"/>.</summary>
    /// <exception cref="FormatException">The file is not a step bench's JSON, or has no step at that prefix; the
    /// message names the file and the field.</exception>
    public static StepRun Read(string path, int prefix)
    {
        using var json = BenchJson.Parse(path);
        var root = json.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("Steps", out var steps) || steps.ValueKind != JsonValueKind.Array)
            throw new FormatException($"{path}: no \"Steps\" array: not the step bench's JSON");
        string date = BenchJson.String(root, "Date", path, "the run");
        if (!DateTimeOffset.TryParse(date, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when))
            throw new FormatException($"{path}: \"Date\" is \"{date}\", not a date");
        var medians = new SortedDictionary<int, double>();
        foreach (var step in steps.EnumerateArray())
        {
            if (BenchJson.Number(step, "Prefix", path, "a \"Steps\" row") != prefix)
                continue;
            int batch = (int)BenchJson.Number(step, "Batch", path, "a \"Steps\" row");
            if (!medians.TryAdd(batch, BenchJson.Number(step, "MedianMs", path, "a \"Steps\" row")))
                throw new FormatException($"{path}: two \"Steps\" rows for prefix {prefix}, batch {batch}");
        }
        if (medians.Count == 0)
            throw new FormatException($"{path}: no \"Steps\" row with \"Prefix\" {prefix}");
        return new StepRun(path, when, BenchJson.String(root, "Device", path, "the run"), medians);
    }
}
