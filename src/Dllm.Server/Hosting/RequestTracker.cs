using System.Collections.Concurrent;

namespace Dllm.Server.Hosting;

/// <summary>
/// The generations the server is running, by request id: lets <c>/abort_request</c> and shutdown abort them,
/// shutdown wait for them to drain, and health probes see recent engine output. Thread-safe.
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

    /// <summary>Registers a request; null when <paramref name="id"/> is already running.</summary>
    public TrackedRequest? TryBegin(string id, CancellationToken clientAborted)
    {
        var request = new TrackedRequest(this, id, clientAborted);
        if (_requests.TryAdd(id, request))
            return request;
        request.Dispose(); // unregisters only itself, never the running request of that id
        return null;
    }

    /// <summary>Aborts the request <paramref name="id"/>; false when no such request runs.</summary>
    public bool Abort(string id, string reason)
    {
        if (!_requests.TryGetValue(id, out var request))
            return false;
        request.Abort(reason);
        return true;
    }

    /// <summary>Aborts every running request; returns how many.</summary>
    public int AbortAll(string reason)
    {
        int count = 0;
        foreach (var request in _requests.Values)
        {
            request.Abort(reason);
            count++;
        }
        return count;
    }

    /// <summary>Records that the engine produced output.</summary>
    public void MarkActivity() => Volatile.Write(ref _lastActivity, Environment.TickCount64);

    /// <summary>Waits until no request is registered.</summary>
    public async Task WhenIdleAsync(CancellationToken cancellationToken)
    {
        while (!_requests.IsEmpty)
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Unregisters <paramref name="request"/> (only that instance, never a newer request with its id).</summary>
    internal void Remove(TrackedRequest request) => _requests.TryRemove(new KeyValuePair<string, TrackedRequest>(request.Id, request));
}
