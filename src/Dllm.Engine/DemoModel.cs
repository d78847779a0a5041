using Dllm.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dllm;

/// <summary>
/// The built-in demo model: a small LLaDA2 MoE model (7.2 M parameters: 4 layers, the first dense, then 16 experts
/// with group-limited routing; a 1,474-token byte-level BPE) trained by the project itself with <c>dllm train</c> on
/// generated chat examples: counting (the seed's "Write the number from 1 to N"), copying, sums, sorting, tool calls
/// and a few answers learned by heart. It is not LLaDA2.0-mini: it knows only those tasks (docs/demo-model.md says how
/// well). The checkpoint ships inside this assembly (bfloat16 safetensors, 14 MB) and is written once into the cache
/// folder (<c>$DLLM_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/dllm</c>, else <c>~/.cache/dllm</c>), atomically, and reused.
/// <c>dllm serve</c> without <c>--model-path</c>, the samples and package users all get this one model:
/// <c>ModelPath = await DemoModel.EnsureAsync()</c>.
/// </summary>
public static class DemoModel
{
    /// <summary>The demo model's folder name in the cache: <c>demo-</c> and the first 12 hex digits of its weights' SHA-256
    /// (computed at build time), so a retrained model is written afresh rather than served from an older cache.</summary>
    public static string FolderName { get; } = "demo-" + (WeightsSha256() is { Length: >= 12 } hash ? hash[..12].ToLowerInvariant() : "not-embedded");

    /// <summary>The model name a server reports for the demo model.</summary>
    public const string ServedModelName = "dllm-demo";

    private const string ResourcePrefix = "Dllm.DemoModel/";
    private const string Marker = "dllm-demo.txt";

    private static string? WeightsSha256() =>
        typeof(DemoModel).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), inherit: false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "DllmDemoModelSha256")?.Value;

    /// <summary>Where <see cref="EnsureAsync"/> keeps the demo model (it may not exist yet).</summary>
    public static string Directory => Path.Combine(DllmCache.Root, FolderName);

    /// <summary>True when <paramref name="modelPath"/> is the demo model's directory.</summary>
    public static bool IsDemoModel(string modelPath) =>
        File.Exists(Path.Combine(modelPath, Marker));

    /// <summary>The demo model's directory, written from the embedded checkpoint first when missing.</summary>
    public static async Task<string> EnsureAsync(ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        string directory = Directory;
        if (IsDemoModel(directory))
            return directory;
        (logger ?? NullLogger.Instance).WritingDemoModel(directory);
        string root = Path.GetDirectoryName(directory)!;
        System.IO.Directory.CreateDirectory(root);
        string staging = Path.Combine(root, $"{FolderName}.staging-{Guid.NewGuid():N}");
        try
        {
            System.IO.Directory.CreateDirectory(staging);
            // Every file of models/dllm-demo is embedded as Dllm.DemoModel/NAME (Dllm.Engine.csproj): the one list of them.
            var assembly = typeof(DemoModel).Assembly;
            string[] resources = [.. assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal))];
            if (!resources.Contains(ResourcePrefix + "config.json"))
                throw new InvalidOperationException($"the demo model is not embedded in {assembly.GetName().Name} (built with -p:DllmEmbedDemoModel=false): pass a model path");
            foreach (string resource in resources)
            {
                await using var source = assembly.GetManifestResourceStream(resource)!;
                await using var target = File.Create(Path.Combine(staging, resource[ResourcePrefix.Length..]));
                await source.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
            }
            await File.WriteAllTextAsync(Path.Combine(staging, Marker), "dllm built-in demo model: a small LLaDA2 MoE model trained by dllm train (docs/demo-model.md).\n", cancellationToken).ConfigureAwait(false);
            if (System.IO.Directory.Exists(directory))
                System.IO.Directory.Delete(directory, recursive: true); // an incomplete earlier attempt
            System.IO.Directory.Move(staging, directory);
        }
        catch (IOException) when (IsDemoModel(directory))
        {
            // Another process wrote it at the same time.
        }
        finally
        {
            if (System.IO.Directory.Exists(staging))
                System.IO.Directory.Delete(staging, recursive: true);
        }
        return directory;
    }
}
