namespace Dllm.Native;

/// <summary>The shared libraries mapped into this process (from <c>/proc/self/maps</c>).</summary>
internal static class LoadedLibraries
{
    /// <summary>The absolute path of the first mapped file whose name starts with <paramref name="fileNamePrefix"/>, or null.</summary>
    public static string? Find(string fileNamePrefix) =>
        MappedFiles().FirstOrDefault(path => Path.GetFileName(path).StartsWith(fileNamePrefix, StringComparison.Ordinal));

    /// <summary>The distinct absolute paths of the mapped files named exactly <paramref name="fileName"/>.</summary>
    public static IReadOnlyList<string> FindAll(string fileName) =>
        MappedFiles().Where(path => Path.GetFileName(path) == fileName).Distinct(StringComparer.Ordinal).ToList();

    private static IEnumerable<string> MappedFiles()
    {
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps))
            yield break;
        foreach (string line in File.ReadLines(maps))
        {
            int slash = line.IndexOf('/', StringComparison.Ordinal);
            if (slash >= 0)
                yield return line[slash..].Trim();
        }
    }
}
