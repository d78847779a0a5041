namespace Dllm.Checkpoints;

/// <summary>
/// An <see cref="IProgress{T}"/> for checkpoint reads and writes that reports on the calling thread (unlike
/// <see cref="Progress{T}"/>, which posts to the thread pool) and only every <c>1/steps</c> of the bytes, plus
/// the last tensor — for progress logs that stay short on any checkpoint size.
/// </summary>
public sealed class ThrottledProgress(int steps, Action<CheckpointLoadProgress> report) : IProgress<CheckpointLoadProgress>
{
    private long _nextReport;

    /// <inheritdoc />
    public void Report(CheckpointLoadProgress value)
    {
        if (value.BytesDone < _nextReport && value.TensorsDone < value.TensorsTotal)
            return;
        _nextReport = value.BytesDone + Math.Max(value.BytesTotal / Math.Max(steps, 1), 1);
        report(value);
    }
}
