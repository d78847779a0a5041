using Dllm.Checkpoints;
using Dllm.Model;
using Dllm.Native;
using Dllm.Tokenization;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace Dllm.Server.Cli;

/// <summary>
/// The built-in demo model <c>dllm serve</c> runs without <c>--model-path</c>: a tiny LLaDA2 shape with seeded random
/// weights (peaked, so it commits several tokens per step) and a small synthetic tokenizer that knows the chat
/// markers. Written once into the cache folder (atomically) and reused; its output is meaningless text.
/// </summary>
internal static class DemoModel
{
    /// <summary>The folder name in the cache; bump the suffix when the demo's recipe changes.</summary>
    public const string FolderName = "demo-tiny";

    private const string Marker = "dllm-demo-v1.txt";

    /// <summary>The demo model's directory, written first when missing.</summary>
    public static string Ensure(string? libTorchDirectory, ILogger logger)
    {
        string directory = Path.Combine(ModelCache.Root, FolderName);
        if (File.Exists(Path.Combine(directory, Marker)))
            return directory;
        logger.LogInformation("Writing the demo model into {Directory} (once)", directory);
        TorchBackend.Initialize(new TorchBackendOptions { LibTorchDirectory = libTorchDirectory }, logger);
        Directory.CreateDirectory(ModelCache.Root);
        string staging = Path.Combine(ModelCache.Root, $"{FolderName}.staging-{Guid.NewGuid():N}");
        try
        {
            SyntheticModelDirectory.Write(staging, LLaDA2Shapes.Tiny(layers: 3), SyntheticTokenizerLayout.Small, new SyntheticCheckpointOptions
            {
                Seed = 2025,
                DType = torch.ScalarType.Float32,
                LogitSharpness = 300,
            });
            File.WriteAllText(Path.Combine(staging, Marker), "dllm built-in demo model: tiny LLaDA2 shape, random weights, synthetic tokenizer.\n");
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true); // an incomplete earlier attempt
            Directory.Move(staging, directory);
        }
        catch (IOException) when (File.Exists(Path.Combine(directory, Marker)))
        {
            // Another dllm process wrote it at the same time.
        }
        finally
        {
            if (Directory.Exists(staging))
                Directory.Delete(staging, recursive: true);
        }
        return directory;
    }
}
