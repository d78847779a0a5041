namespace Dllm;

/// <summary>
/// A request was refused because the engine's waiting queue already holds
/// <see cref="DllmEngineOptions.MaxQueuedRequests"/> requests (backpressure: retry later; a server answers 503
/// with <c>Retry-After</c>). Nothing of the request ran.
/// </summary>
public sealed class DllmQueueFullException : Exception
{
    /// <summary>A refusal under a queue limit of <paramref name="maxQueuedRequests"/>.</summary>
    public DllmQueueFullException(int maxQueuedRequests)
        : base($"the waiting queue is full ({maxQueuedRequests} requests waiting, the max_queued_requests limit); retry later.")
    {
        MaxQueuedRequests = maxQueuedRequests;
    }

    /// <summary>The limit that was reached.</summary>
    public int MaxQueuedRequests { get; }
}
