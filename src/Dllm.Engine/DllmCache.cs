namespace Dllm;

/// <summary>Where Dllm keeps files it makes for itself: <c>$DLLM_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/dllm</c>, else <c>~/.cache/dllm</c>.</summary>
internal static class DllmCache
{
    /// <summary>The environment variable that moves the cache.</summary>
    public const string Variable = "DLLM_CACHE_DIR";

    /// <summary>The cache folder (not created).</summary>
    public static string Root
    {
        get
        {
            if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } explicitRoot)
                return Path.GetFullPath(explicitRoot);
            string xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } given
                ? given
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(Path.GetFullPath(xdg), "dllm");
        }
    }
}
