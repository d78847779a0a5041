namespace Dllm.Server.Cli;

/// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread.</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    /// <inheritdoc />
    public void Report(T value) => report(value);
}
