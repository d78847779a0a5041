using System.Diagnostics;

namespace Dllm.Runner;

/// <summary>What a <see cref="BatchGeometry.Reload"/> rewrote: the token ids only, the rows of the requests that moved,
/// or the whole layout.</summary>
internal enum ReloadKind
{
    TokenIds,
    Rows,
    Whole,

    /// <summary>Of <see cref="Whole"/>: the copies to the device alone (the rest is building the layout and the wait).</summary>
    WholeCopies,

    /// <summary>Of <see cref="Whole"/>: waiting for the device's stream before the copies (only with
    /// <see cref="ReloadCounts.TimeWaitApart"/>).</summary>
    WholeWait,
}

/// <summary>Reloads of captured forwards' inputs by <see cref="ReloadKind"/>: how many, and their host time (for
/// benchmarks: where the input time of an end-to-end step goes).</summary>
internal sealed class ReloadCounts
{
    private static readonly int Kinds = Enum.GetValues<ReloadKind>().Length;
    private readonly long[] _counts = new long[Kinds], _ticks = new long[Kinds];

    /// <summary>Benchmarks only: a whole reload first waits for the device's stream, timed as
    /// <see cref="ReloadKind.WholeWait"/>, so that <see cref="ReloadKind.WholeCopies"/> is the copies alone (default false:
    /// no wait of its own; the bench's <c>--reload-wait-apart true</c>).</summary>
    public bool TimeWaitApart { get; set; }

    /// <summary>Adds one reload of <paramref name="kind"/> that started at <paramref name="started"/> (a Stopwatch
    /// timestamp) and ends now.</summary>
    public void Add(ReloadKind kind, long started)
    {
        Interlocked.Increment(ref _counts[(int)kind]);
        Interlocked.Add(ref _ticks[(int)kind], Stopwatch.GetTimestamp() - started);
    }

    /// <summary>The totals so far of <paramref name="kind"/>.</summary>
    public (long Count, TimeSpan Time) Of(ReloadKind kind) =>
        (Interlocked.Read(ref _counts[(int)kind]), Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _ticks[(int)kind])));
}
