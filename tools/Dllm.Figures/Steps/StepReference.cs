using System.Globalization;

namespace Dllm.Figures.Steps;

/// <summary>A reference step time per batch size drawn across the history (a target, or a peer's measured step).</summary>
/// <param name="Label">What the line is, for the legend.</param>
/// <param name="MsByBatch">Its step time in ms, by batch size.</param>
public sealed record StepReference(string Label, IReadOnlyDictionary<int, double> MsByBatch)
{
    /// <summary>Parses <c>LABEL=BATCH:MS,BATCH:MS,…</c>, as <c>--reference</c> gives it.</summary>
    /// <exception cref="FormatException">The text is not of that form; the message quotes it.</exception>
    public static StepReference Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int equals = text.LastIndexOf('=');
        if (equals <= 0 || equals == text.Length - 1)
            throw new FormatException($"--reference \"{text}\": expected LABEL=BATCH:MS,BATCH:MS,…");
        var values = new SortedDictionary<int, double>();
        foreach (string pair in text[(equals + 1)..].Split(','))
        {
            string[] parts = pair.Split(':');
            if (parts.Length != 2
                || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int batch) || batch < 1
                || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double ms) || !(ms > 0)
                || !values.TryAdd(batch, ms))
                throw new FormatException($"--reference \"{text}\": \"{pair}\" is not BATCH:MS with a new batch size ≥ 1 and a time > 0");
        }
        return new StepReference(text[..equals], values);
    }
}
