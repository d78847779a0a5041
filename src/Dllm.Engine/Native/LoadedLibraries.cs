namespace Dllm.Native;

/// <summary>The shared libraries mapped into this process (from <c>/proc/self/maps</c>).</summary>
internal static class LoadedLibraries
{
    /// <summary>The absolute path of the first mapped file whose name starts with <paramref name="fileNamePrefix"/>, or null.</summary>
    public static string? Find(string fileNamePrefix)
    {
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps))
            return null;
        foreach (string line in File.ReadLines(maps))
        {
            int slash = line.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0)
                continue;
            string path = line[slash..].Trim();
            if (Path.GetFileName(path).StartsWith(fileNamePrefix, StringComparison.Ordinal))
                return path;
        }
        return null;
    }
}
