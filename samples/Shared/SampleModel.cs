namespace Dllm.Samples;

/// <summary>
/// The model a sample runs on: the given directory, or else Dllm's built-in demo model (<see cref="DemoModel"/>: small,
/// trained by the project, written once into the cache), so every sample runs in seconds on a CPU without a download.
/// </summary>
internal static class SampleModel
{
    /// <summary>The model directory to use; says so when it is the demo model.</summary>
    public static async Task<string> ResolveAsync(string? modelPath, TextWriter output, CancellationToken cancellationToken)
    {
        if (modelPath is not null)
            return modelPath;
        string directory = await DemoModel.EnsureAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        output.WriteLine($"No --model-path given: using Dllm's built-in DEMO model at {directory} (a small model trained by dllm train: it counts and calls its demo tools, not LLaDA2.0-mini).");
        return directory;
    }
}
