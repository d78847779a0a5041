namespace Dllm.Checkpoints;

/// <summary>Formats lists of tensor names for error messages: the first few, then how many more.</summary>
internal static class NameList
{
    /// <summary>The first <paramref name="max"/> names, quoted, then "and N more".</summary>
    public static string Format(IEnumerable<string> names, int max = 10) => Join(names.Select(n => $"'{n}'"), max);

    /// <summary>The first <paramref name="max"/> items as they are, then "and N more".</summary>
    public static string Join(IEnumerable<string> items, int max = 10)
    {
        var list = items.ToList();
        string shown = string.Join(", ", list.Take(max));
        return list.Count > max ? $"{shown} and {list.Count - max} more" : shown;
    }
}
