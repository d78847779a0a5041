using System.Diagnostics;

namespace Dllm.Checkpoints;

/// <summary>Counts finished tensors and bytes (thread-safe) and reports each step to an optional sink.</summary>
internal sealed class ProgressCounter(int tensorsTotal, long bytesTotal)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _bytesDone;
    private int _tensorsDone;

    /// <summary>Bytes finished so far.</summary>
    public long BytesDone => Interlocked.Read(ref _bytesDone);

    /// <summary>Records one finished tensor and reports the new totals.</summary>
    public void Add(string tensorName, long bytes, IProgress<CheckpointLoadProgress>? sink)
    {
        long bytesDone = Interlocked.Add(ref _bytesDone, bytes);
        int tensorsDone = Interlocked.Increment(ref _tensorsDone);
        sink?.Report(new CheckpointLoadProgress(tensorName, tensorsDone, tensorsTotal, bytesDone, bytesTotal, _clock.Elapsed));
    }
}
