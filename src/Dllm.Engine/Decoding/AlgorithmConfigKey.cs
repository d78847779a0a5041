using System.Globalization;

namespace Dllm.Decoding;

/// <summary>
/// One key an algorithm accepts in its YAML config: its snake_case <see cref="Name"/>, whether it is an integer,
/// and its inclusive range [<see cref="Min"/>, <see cref="Max"/>] (<see cref="double.PositiveInfinity"/>, or
/// <see cref="int.MaxValue"/> for an integer, = no upper bound).
/// </summary>
/// <param name="Name">The YAML key, e.g. <c>threshold</c>.</param>
/// <param name="IsInteger">True for integer keys (<c>block_size</c>), false for real numbers.</param>
/// <param name="Min">Smallest allowed value.</param>
/// <param name="Max">Largest allowed value.</param>
public sealed record AlgorithmConfigKey(string Name, bool IsInteger, double Min, double Max)
{
    /// <summary>What a valid value looks like, for error messages (e.g. <c>a number in [0, 1]</c>).</summary>
    public string Expected
    {
        get
        {
            string kind = IsInteger ? "an integer" : "a number";
            bool unbounded = double.IsPositiveInfinity(Max) || (IsInteger && Max >= int.MaxValue);
            return unbounded
                ? string.Create(CultureInfo.InvariantCulture, $"{kind} >= {Min}")
                : string.Create(CultureInfo.InvariantCulture, $"{kind} in [{Min}, {Max}]");
        }
    }

    /// <summary>Parses a plain YAML scalar and checks its range; <paramref name="where"/> names the source in errors.</summary>
    internal double Parse(string text, string where)
    {
        double? value = IsInteger ? ParseInteger(text) : ParseNumber(text);
        return value is double parsed ? Check(parsed, where) : throw Invalid(where, text.Length == 0 ? "no value" : $"'{text}'");
    }

    /// <summary>Checks that a value is finite, in range (and whole for integer keys); returns it.</summary>
    internal double Check(double value, string where)
    {
        bool valid = double.IsFinite(value) && value >= Min && value <= Max && (!IsInteger || Math.Floor(value) == value);
        return valid ? value : throw Invalid(where, value.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The error for a value of the wrong type or out of range.</summary>
    internal AlgorithmConfigException Invalid(string where, string got) =>
        new($"{where}: key '{Name}' must be {Expected}, got {got}.", Name);

    private static double? ParseInteger(string text) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value) ? value : null;

    private static double? ParseNumber(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value) ? value : null;
}
