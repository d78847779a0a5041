namespace Dllm.Checkpoints;

/// <summary>Reports each value to every sink, in order, on the calling thread.</summary>
internal sealed class ProgressTee<T>(params IProgress<T>?[] sinks) : IProgress<T>
{
    /// <inheritdoc />
    public void Report(T value)
    {
        foreach (var sink in sinks)
            sink?.Report(value);
    }
}
