using System.Globalization;

namespace Dllm.Figures;

/// <summary>A figure command's arguments: <c>--name value</c> options (some repeatable) and the files left over.</summary>
internal sealed class FigureArguments(IReadOnlyList<string> args)
{
    /// <summary>The value after the last <paramref name="name"/>, or null.</summary>
    public string? Value(string name) => Values(name).LastOrDefault();

    /// <summary>The value after every <paramref name="name"/>, in order.</summary>
    public IReadOnlyList<string> Values(string name)
    {
        var values = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i] != name)
                continue;
            if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                throw new FormatException($"{name} needs a value");
            values.Add(args[++i]);
        }
        return values;
    }

    /// <summary>The value of <paramref name="name"/>, which must be given.</summary>
    public string Required(string name) => Value(name) ?? throw new ArgumentException($"{name} is required");

    /// <summary>The integer value of <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public int Integer(string name, int fallback) => Value(name) is not { } text
        ? fallback
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) ? value : throw new FormatException($"{name} \"{text}\" is not a whole number");

    /// <summary>The comma-separated integers of <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public int[] Integers(string name, int[] fallback) => Value(name) is not { } text
        ? fallback
        : [.. text.Split(',').Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : throw new FormatException($"{name} \"{text}\": \"{p}\" is not a whole number ≥ 1"))];

    /// <summary>The arguments that are neither an option nor an option's value.</summary>
    public IReadOnlyList<string> Files()
    {
        var files = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal))
                i++;
            else
                files.Add(args[i]);
        }
        return files;
    }

    /// <summary><paramref name="path"/>, which must be a file (<paramref name="what"/> names it in the error).</summary>
    public string ExistingFile(string path, string what) => File.Exists(path) ? path : throw new ArgumentException($"{what}: no file {path}");
}
