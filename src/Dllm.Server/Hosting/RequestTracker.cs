using System.Collections.Concurrent;

namespace Dllm.Server.Hosting;

/// <summary>
/// The generations HTTP requests are running, with their owners: lets <c>/abort_request</c> and shutdown find the
/// requests a caller may abort (each API key reaches its own; without keys there is one namespace, as in SGLang), shutdown
/// wait for them to drain, and health probes see recent engine output. The abort itself is the generator's
/// (<see cref="IDllmGenerator.Abort"/>): the request's stream ends with the engine's own abort update. Thread-safe.
/// </summary>
internal sealed class RequestTracker(DllmServerState state)
{
    private readonly ConcurrentDictionary<TrackedRequest, byte> _requests = new();
    private long _lastActivity; // Environment.TickCount64 of the last output; 0 = never

    /// <summary>Requests registered now.</summary>
    public int Count => _requests.Count;

    /// <summary>Time since a tracked request last received engine output.</summary>
    public TimeSpan SinceLastActivity => Volatile.Read(ref _lastActivity) is long last and > 0
        ? TimeSpan.FromMilliseconds(Environment.TickCount64 - last)
        : TimeSpan.MaxValue;

    /// <summary>Registers <paramref name="owner"/>'s request <paramref name="id"/> (the generator checked that its engine id
    /// is free), one of the prompts of the HTTP request <paramref name="batchId"/> when given.</summary>
    public TrackedRequest Begin(RequestOwner owner, string id, string? batchId = null)
    {
        var request = new TrackedRequest(this, owner, id, batchId);
        _requests.TryAdd(request, 0);
        return request;
    }

    /// <summary>
    /// Aborts the request <paramref name="id"/> of <paramref name="caller"/> (an admin: of any owner), or every prompt of
    /// the HTTP request of that rid (<see cref="TrackedRequest.BatchId"/>); false when no such request runs (another key's
    /// request counts as none).
    /// </summary>
    public bool Abort(RequestOwner caller, string id, string reason) => AbortWhere(r => (r.Id == id || r.BatchId == id) && caller.Controls(r.Owner), reason) > 0;

    /// <summary>Aborts every request <paramref name="caller"/> may reach (its own; an admin's or the server's: all); returns how many.</summary>
    public int AbortAll(RequestOwner caller, string reason) => AbortWhere(r => caller.Controls(r.Owner), reason);

    /// <summary>Records that the engine produced output.</summary>
    public void MarkActivity() => Volatile.Write(ref _lastActivity, Environment.TickCount64);

    /// <summary>Waits until no request is registered.</summary>
    public async Task WhenIdleAsync(CancellationToken cancellationToken)
    {
        while (!_requests.IsEmpty)
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Unregisters <paramref name="request"/>.</summary>
    internal void Remove(TrackedRequest request) => _requests.TryRemove(request, out _);

    private int AbortWhere(Func<TrackedRequest, bool> reached, string reason)
    {
        if (state.Generator is not { } generator)
            return 0;
        int count = 0;
        foreach (var request in _requests.Keys.Where(reached))
        {
            if (generator.Abort(request.EngineId, reason))
                count++;
        }
        return count;
    }
}
