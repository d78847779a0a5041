namespace Dllm.Server.Hosting;

/// <summary>
/// One generation the server is running, registered under its owner and request id (<c>rid</c>): its cancellation token
/// fires when the client disconnects, when <c>/abort_request</c> names it, or when the server drains. Dispose to
/// unregister it.
/// </summary>
internal sealed class TrackedRequest : IDisposable
{
    private readonly RequestTracker _owner;
    private readonly CancellationTokenSource _cancellation;
    private string? _abortReason;
    private int _disposed;

    /// <summary>Registers nothing by itself; <see cref="RequestTracker.TryBegin"/> creates and registers it.</summary>
    public TrackedRequest(RequestTracker tracker, RequestOwner owner, string id, CancellationToken clientAborted)
    {
        _owner = tracker;
        Owner = owner;
        Id = id;
        EngineId = owner.Scope(id);
        ClientAborted = clientAborted;
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(clientAborted);
    }

    /// <summary>Who made the request.</summary>
    public RequestOwner Owner { get; }

    /// <summary>The request id as the client gave it (or as generated for it); responses report this one.</summary>
    public string Id { get; }

    /// <summary>The id the engine runs it under: <see cref="Id"/> scoped by <see cref="Owner"/> (the same without API keys).</summary>
    public string EngineId { get; }

    /// <summary>Fires when the client went away.</summary>
    public CancellationToken ClientAborted { get; }

    /// <summary>Cancels the generation (client gone, aborted, or its batch failed).</summary>
    public CancellationToken Token => _cancellation.Token;

    /// <summary>Why the request was aborted on purpose (<c>/abort_request</c>, shutdown); null otherwise.</summary>
    public string? AbortReason => Volatile.Read(ref _abortReason);

    /// <summary>Aborts the request on purpose: it ends with finish reason <c>abort</c> and <paramref name="reason"/>.</summary>
    public void Abort(string reason)
    {
        Interlocked.CompareExchange(ref _abortReason, reason, null);
        Cancel();
    }

    /// <summary>Stops the generation without an abort result (its response is no longer wanted).</summary>
    public void Cancel()
    {
        try
        {
            _cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Finished and unregistered meanwhile: nothing to stop.
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _owner.Remove(this);
        _cancellation.Dispose();
    }
}
