using System.Text.Json;

namespace Dllm.Figures.Serving;

/// <summary>The end-to-end bench's rows of one build (<c>Dllm.Bench --mode e2e --json</c>, one file or several): the
/// tokens a second by model and number of concurrent requests.</summary>
/// <param name="Label">What the run is, for the legend.</param>
/// <param name="Files">The JSON files it was read from.</param>
/// <param name="TokensPerSecond">Each row's <c>TokensPerSecond</c>, by its <c>Model</c> and then its
/// <c>Concurrency</c>.</param>
public sealed record ServingRun(string Label, IReadOnlyList<string> Files, IReadOnlyDictionary<string, IReadOnlyDictionary<int, double>> TokensPerSecond)
{
    /// <summary>Reads the rows of <paramref name="paths"/> whose <c>Model</c> is <paramref name="model"/> (every
    /// model's when it is null).</summary>
    /// <exception cref="FormatException">A file is not the end-to-end bench's JSON, two rows are for the same model and
    /// concurrency, or no row is left; the message names the file and the field.</exception>
    public static ServingRun Read(string label, IReadOnlyList<string> paths, string? model = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var byModel = new SortedDictionary<string, SortedDictionary<int, double>>(StringComparer.Ordinal);
        foreach (string path in paths)
        {
            using var json = BenchJson.Parse(path);
            if (json.RootElement.ValueKind != JsonValueKind.Array)
                throw new FormatException($"{path}: not an array of rows: not the end-to-end bench's JSON");
            foreach (var row in json.RootElement.EnumerateArray())
            {
                string rowModel = BenchJson.String(row, "Model", path, "a row");
                if (model is not null && rowModel != model)
                    continue;
                int concurrency = (int)BenchJson.Number(row, "Concurrency", path, "a row");
                var rates = byModel.TryGetValue(rowModel, out var found) ? found : byModel[rowModel] = [];
                if (!rates.TryAdd(concurrency, BenchJson.Number(row, "TokensPerSecond", path, "a row")))
                    throw new FormatException($"{path}: a second row for model {rowModel} at {concurrency} concurrent requests");
            }
        }
        if (byModel.Count == 0)
            throw new FormatException($"{string.Join(", ", paths)}: no rows{(model is null ? "" : $" for model {model}")}");
        return new ServingRun(label, paths, byModel.ToDictionary(m => m.Key, m => (IReadOnlyDictionary<int, double>)m.Value, StringComparer.Ordinal));
    }
}
