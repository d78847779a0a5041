namespace Dllm.Server.Hosting;

/// <summary>
/// One generation an HTTP request is running, registered for what only the server knows: whose it is (the API key it
/// was made with) and that it is still in flight (the drain waits for it). Aborting it goes to the generator by its
/// engine id. Dispose to unregister it.
/// </summary>
internal sealed class TrackedRequest : IDisposable
{
    private readonly RequestTracker _tracker;
    private int _disposed;

    /// <summary>Registers nothing by itself; <see cref="RequestTracker.Begin"/> creates and registers it.</summary>
    public TrackedRequest(RequestTracker tracker, RequestOwner owner, string id, string? batchId = null)
    {
        _tracker = tracker;
        Owner = owner;
        Id = id;
        BatchId = batchId;
        EngineId = owner.Scope(id);
    }

    /// <summary>Who made the request.</summary>
    public RequestOwner Owner { get; }

    /// <summary>The request id as the client gave it (or as generated for it); responses report this one.</summary>
    public string Id { get; }

    /// <summary>The rid of the HTTP request when it runs several prompts under ids of their own (<c>rid-0</c>,
    /// <c>rid-1</c>, …, as <c>/v1/completions</c> names a list of prompts): aborting that rid aborts every one of them.</summary>
    public string? BatchId { get; }

    /// <summary>The id the engine runs it under: <see cref="Id"/> scoped by <see cref="Owner"/> (the same without API keys).</summary>
    public string EngineId { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            _tracker.Remove(this);
    }
}
