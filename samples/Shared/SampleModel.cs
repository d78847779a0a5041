namespace Dllm.Samples;

/// <summary>
/// The model a sample runs on: the given directory, or else Dllm's built-in demo model (<see cref="DemoModel"/>: tiny,
/// random weights, written once into the cache), so every sample runs in seconds on a CPU without a download.
/// </summary>
internal static class SampleModel
{
    /// <summary>The model directory to use; says so when it is the demo model.</summary>
    public static async Task<string> ResolveAsync(string? modelPath, TextWriter output, CancellationToken cancellationToken)
    {
        if (modelPath is not null)
            return modelPath;
        string directory = await DemoModel.EnsureAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        output.WriteLine($"No --model-path given: using Dllm's built-in DEMO model with random weights at {directory} (its answers are meaningless text).");
        return directory;
    }
}
