using System.Diagnostics;

namespace Dllm.Scheduling;

/// <summary>
/// Where the scheduler's time goes, summed over its iterations (written by the scheduler thread, read from any): the
/// admission phase (queue moves, prefill forwards), the steps (<see cref="Runner.ModelRunner.Propose"/>: input
/// preparation, the forward, logits post-processing and sampling up to the one device-to-host copy) and the resolution
/// of their proposals on the host (the algorithms' commits, finish checks, detokenizing, updates). Costs two
/// timestamps per phase; a benchmark reads the difference of two snapshots.
/// </summary>
internal sealed class IterationProfile
{
    private long _admit, _step, _resolve, _steps;

    /// <summary>Adds the time since <paramref name="since"/> to <paramref name="phase"/> and returns now.</summary>
    public long Add(IterationPhase phase, long since)
    {
        long now = Stopwatch.GetTimestamp();
        switch (phase)
        {
            case IterationPhase.Admit:
                Interlocked.Add(ref _admit, now - since);
                break;
            case IterationPhase.Step:
                Interlocked.Add(ref _step, now - since);
                break;
            default:
                Interlocked.Add(ref _resolve, now - since);
                break;
        }
        if (phase == IterationPhase.Step)
            Interlocked.Increment(ref _steps);
        return now;
    }

    /// <summary>The totals so far.</summary>
    public IterationProfileSnapshot Snapshot() => new(
        Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _admit)),
        Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _step)),
        Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _resolve)),
        Interlocked.Read(ref _steps));
}
