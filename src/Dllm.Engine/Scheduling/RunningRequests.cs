namespace Dllm.Scheduling;

/// <summary>
/// The requests the scheduler is running, at most <see cref="Limit"/> (<c>max_running_requests</c>), kept in the order
/// they were admitted (<see cref="EngineRequest.AdmittedAt"/>: an admission appends, a removal keeps the order; growth
/// serves the oldest first, retraction takes the newest). Changed on the scheduler thread only; <see cref="Count"/> may
/// be read from any thread.
/// </summary>
internal sealed class RunningRequests(int limit)
{
    private readonly List<EngineRequest> _requests = [];
    private long _admissions;
    private int _count;

    /// <summary>The most that may run at once.</summary>
    public int Limit { get; } = limit;

    /// <summary>How many run (a snapshot from any thread).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Whether one more may be admitted.</summary>
    public bool HasRoom => _requests.Count < Limit;

    /// <summary>Whether none runs.</summary>
    public bool IsEmpty => _requests.Count == 0;

    /// <summary>Admits <paramref name="request"/>: it runs from now on, the newest.</summary>
    public void Add(EngineRequest request)
    {
        request.AdmittedAt = ++_admissions;
        _requests.Add(request);
        Interlocked.Increment(ref _count);
    }

    /// <summary>Stops counting <paramref name="request"/> as running (it ended or was retracted).</summary>
    public void Remove(EngineRequest request)
    {
        if (_requests.Remove(request))
            Interlocked.Decrement(ref _count);
    }

    /// <summary>A copy of the running requests, oldest admission first (safe to end or retract them while iterating).</summary>
    public List<EngineRequest> Snapshot() => [.. _requests];


    /// <summary>The running requests grouped by block size (one batched forward per group).</summary>
    public List<List<EngineRequest>> ByBlockSize() => [.. _requests.GroupBy(r => r.Algorithm.BlockSize).Select(g => g.ToList())];

    /// <summary>The most recently admitted running request other than <paramref name="request"/>, or null when it runs alone.</summary>
    public EngineRequest? NewestOtherThan(EngineRequest request) => _requests.LastOrDefault(r => r != request);
}
