using Dllm.Checkpoints;
using Dllm.Model;
using Dllm.Native;
using Dllm.Tokenization;

namespace Dllm.Samples;

/// <summary>
/// The model a sample runs on: the given directory, or else a tiny synthetic LLaDA2 model with random weights (written
/// once into the temp folder), so every sample runs in seconds on a CPU without a download. Its text is gibberish.
/// </summary>
internal static class DemoModel
{
    /// <summary>The model directory to use; says so when it is the demo model.</summary>
    public static string Resolve(string? modelPath, TextWriter output)
    {
        if (modelPath is not null)
            return modelPath;
        string directory = Path.Combine(Path.GetTempPath(), "dllm-demo-model-v1");
        if (!File.Exists(Path.Combine(directory, "tokenizer_config.json")))
        {
            TorchBackend.Initialize();
            string staging = $"{directory}-staging-{Guid.NewGuid():N}";
            SyntheticModelDirectory.Write(staging, LLaDA2Shapes.Tiny(), SyntheticTokenizerLayout.Small, new SyntheticCheckpointOptions { Seed = 7 });
            try
            {
                Directory.Move(staging, directory);
            }
            catch (IOException) when (File.Exists(Path.Combine(directory, "tokenizer_config.json")))
            {
                Directory.Delete(staging, recursive: true); // another run wrote it first
            }
        }
        output.WriteLine($"No --model-path given: using a tiny synthetic DEMO model with random weights at {directory} (its answers are gibberish).");
        return directory;
    }
}
