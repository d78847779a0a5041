using System.Collections.Concurrent;

namespace Dllm.Server.Hosting;

/// <summary>
/// The generations the server is running, by owner and request id: lets <c>/abort_request</c> and shutdown abort
/// them, shutdown wait for them to drain, and health probes see recent engine output. Each API key has its own rid
/// namespace (<see cref="RequestOwner.Scope"/>); without keys there is one, as in SGLang. Thread-safe.
/// </summary>
internal sealed class RequestTracker
{
    private readonly ConcurrentDictionary<string, TrackedRequest> _requests = new(StringComparer.Ordinal);
    private long _lastActivity; // Environment.TickCount64 of the last output; 0 = never

    /// <summary>Requests registered now.</summary>
    public int Count => _requests.Count;

    /// <summary>Time since a tracked request last received engine output.</summary>
    public TimeSpan SinceLastActivity => Volatile.Read(ref _lastActivity) is long last and > 0
        ? TimeSpan.FromMilliseconds(Environment.TickCount64 - last)
        : TimeSpan.MaxValue;

    /// <summary>Registers <paramref name="owner"/>'s request <paramref name="id"/>; null when that owner already runs a request with that id.</summary>
    public TrackedRequest? TryBegin(RequestOwner owner, string id, CancellationToken clientAborted)
    {
        var request = new TrackedRequest(this, owner, id, clientAborted);
        if (_requests.TryAdd(request.EngineId, request))
            return request;
        request.Dispose(); // unregisters only itself, never the running request of that id
        return null;
    }

    /// <summary>
    /// Aborts the request <paramref name="id"/> of <paramref name="caller"/> (an admin: of any owner); false when no such
    /// request runs (another key's request counts as none).
    /// </summary>
    public bool Abort(RequestOwner caller, string id, string reason)
    {
        if (!caller.IsAdmin)
        {
            if (!_requests.TryGetValue(caller.Scope(id), out var own))
                return false;
            own.Abort(reason);
            return true;
        }
        int count = AbortWhere(r => r.Id == id, reason);
        return count > 0;
    }

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

    /// <summary>Unregisters <paramref name="request"/> (only that instance, never a newer request with its id).</summary>
    internal void Remove(TrackedRequest request) => _requests.TryRemove(new KeyValuePair<string, TrackedRequest>(request.EngineId, request));

    private int AbortWhere(Func<TrackedRequest, bool> reached, string reason)
    {
        int count = 0;
        foreach (var request in _requests.Values.Where(reached))
        {
            request.Abort(reason);
            count++;
        }
        return count;
    }
}
