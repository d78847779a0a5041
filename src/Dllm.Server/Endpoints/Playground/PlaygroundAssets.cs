using System.Collections.Frozen;

namespace Dllm.Server.Endpoints.Playground;

/// <summary>The playground's files, embedded in this assembly as <c>Dllm.Server.Playground.{file}</c>, read once.</summary>
internal static class PlaygroundAssets
{
    private const string Prefix = "Dllm.Server.Playground.";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<string, PlaygroundAsset> Files = Load();

    /// <summary>The file <paramref name="name"/> (e.g. <c>playground.js</c>); null when there is none.</summary>
    public static PlaygroundAsset? Find(string name) => Files.GetValueOrDefault(name);

    private static FrozenDictionary<string, PlaygroundAsset> Load()
    {
        var assembly = typeof(PlaygroundAssets).Assembly;
        var files = new Dictionary<string, PlaygroundAsset>(StringComparer.Ordinal);
        foreach (string resource in assembly.GetManifestResourceNames().Where(r => r.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            string name = resource[Prefix.Length..];
            if (!ContentTypes.TryGetValue(Path.GetExtension(name), out var contentType))
                continue;
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            files[name] = new PlaygroundAsset(contentType, copy.ToArray());
        }
        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
