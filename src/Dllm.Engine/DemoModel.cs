using Dllm.Diagnostics;
using Dllm.Checkpoints;
using Dllm.Model;
using Dllm.Native;
using Dllm.Tokenization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;

namespace Dllm;

/// <summary>
/// The built-in demo model: a tiny LLaDA2 shape with seeded random weights (peaked, so it commits several tokens per
/// step) and a small synthetic tokenizer that knows the chat markers. It runs in seconds on a CPU with no download;
/// its output is meaningless text. <c>dllm serve</c> without <c>--model-path</c>, the samples and package users all get
/// this one model: <c>ModelPath = await DemoModel.EnsureAsync()</c>. Written once into the cache folder
/// (<c>$DLLM_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/dllm</c>, else <c>~/.cache/dllm</c>), atomically, and reused.
/// </summary>
public static class DemoModel
{
    /// <summary>The demo model's folder name in the cache; the suffix changes when its recipe changes.</summary>
    public const string FolderName = "demo-tiny";

    /// <summary>The model name a server reports for the demo model.</summary>
    public const string ServedModelName = "dllm-demo-tiny";

    private const string Marker = "dllm-demo-v1.txt";

    /// <summary>Where <see cref="EnsureAsync"/> keeps the demo model (it may not exist yet).</summary>
    public static string Directory => Path.Combine(DllmCache.Root, FolderName);

    /// <summary>True when <paramref name="modelPath"/> is the demo model's directory.</summary>
    public static bool IsDemoModel(string modelPath) =>
        File.Exists(Path.Combine(modelPath, Marker));

    /// <summary>
    /// The demo model's directory, written first when missing (which loads the native backend with
    /// <paramref name="backendOptions"/>, as any engine would).
    /// </summary>
    /// <exception cref="TorchBackendException">The native backend could not be loaded; the message says what to add.</exception>
    /// <exception cref="PlatformNotSupportedException">Not linux-x64.</exception>
    public static Task<string> EnsureAsync(TorchBackendOptions? backendOptions = null, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        string directory = Directory;
        if (IsDemoModel(directory))
            return Task.FromResult(directory);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.Run(() => Write(directory, backendOptions, logger ?? NullLogger.Instance), cancellationToken);
    }

    private static string Write(string directory, TorchBackendOptions? backendOptions, ILogger logger)
    {
        logger.WritingDemoModel(directory);
        TorchBackend.Initialize(backendOptions, logger);
        string root = Path.GetDirectoryName(directory)!;
        System.IO.Directory.CreateDirectory(root);
        string staging = Path.Combine(root, $"{FolderName}.staging-{Guid.NewGuid():N}");
        try
        {
            SyntheticModelDirectory.Write(staging, LLaDA2Shapes.Tiny(layers: 3), SyntheticTokenizerLayout.Small, new SyntheticCheckpointOptions
            {
                Seed = 2025,
                DType = torch.ScalarType.Float32,
                LogitSharpness = 300,
            });
            File.WriteAllText(Path.Combine(staging, Marker), "dllm built-in demo model: tiny LLaDA2 shape, random weights, synthetic tokenizer.\n");
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
