using Dllm.Decoding;
using Dllm.Server.Endpoints.Pipeline;
using Dllm.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Dllm.Server.Endpoints.Running;

/// <summary>
/// Starts the generations of one HTTP request: checks the server is ready (503), validates every prompt with
/// the engine before anything runs (400), checks the engine's waiting queue has room for all of them (503 with
/// <c>Retry-After</c>, so a batch is all or nothing unless another request races it), gives them one fairness group
/// and the server's deadline (<see cref="DllmServerOptions.RequestTimeout"/>), and registers each request id (so it
/// can be aborted and drained).
/// </summary>
internal sealed class GenerationRunner(DllmServerState state, RequestTracker tracker, IOptions<DllmServerOptions> options)
{
    /// <summary>The <c>Retry-After</c> of a 503 while the model loads.</summary>
    private static readonly TimeSpan LoadingRetryAfter = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The engine and generator, or a 503: while loading and while shutting down with <c>Retry-After</c> (the load's
    /// usual pace; the drain time, after which a restarted or other instance can answer), after a failed load without.
    /// </summary>
    public (DllmEngine Engine, IDllmGenerator Generator) RequireReady()
    {
        if (state.TryGetReady(out var engine, out var generator))
            return (engine, generator);
        throw state.Status switch
        {
            DllmServerStatus.Loading => ApiException.Unavailable("the model is still loading; retry when /health answers 200.", LoadingRetryAfter),
            DllmServerStatus.Failed => ApiException.Unavailable($"the model failed to load: {state.LoadError?.Message}"),
            _ => ApiException.Unavailable("the server is shutting down; retry on another instance or after a restart.", options.Value.DrainTimeout),
        };
    }

    /// <summary>
    /// Validates and registers <paramref name="requests"/> (each with its <see cref="GenerateRequest.RequestId"/> set)
    /// as <paramref name="owner"/>'s; runs nothing yet. A validation error is a 400 naming the field as the route spells
    /// it (<paramref name="names"/>). The engine runs each under its owner-scoped id; the batch's updates report the
    /// client's rid.
    /// </summary>
    public GenerationBatch Start(IReadOnlyList<GenerateRequest> requests, RequestOwner owner, RequestFieldNames names, CancellationToken clientAborted)
    {
        var (engine, generator) = RequireReady();
        string group = Guid.NewGuid().ToString("N");
        var timeout = options.Value.RequestTimeout;
        requests = [.. requests.Select(r => r with { QueueGroup = group, Timeout = r.Timeout ?? timeout })];
        for (int i = 0; i < requests.Count; i++)
        {
            try
            {
                engine.Validate(requests[i]);
            }
            catch (Exception e) when (e is ArgumentException or AlgorithmConfigException)
            {
                throw ApiErrors.FromValidation(e, names, i);
            }
        }
        CheckQueueRoom(engine, requests.Count);
        var tracked = new List<TrackedRequest>(requests.Count);
        foreach (var request in requests)
        {
            string id = request.RequestId ?? throw new ArgumentException("every request needs its id before it starts.", nameof(requests));
            if (tracker.TryBegin(owner, id, clientAborted) is not { } registered)
            {
                tracked.ForEach(t => t.Dispose());
                throw ApiException.BadRequest($"rid '{id}' is already in use by a running request.", "rid");
            }
            tracked.Add(registered);
        }
        return new GenerationBatch(generator, [.. requests.Select((r, i) => r with { RequestId = tracked[i].EngineId })], tracked, tracker);
    }

    /// <summary>A 400 for more prompts than the queue can ever hold, a 503 when it cannot hold them now.</summary>
    private static void CheckQueueRoom(DllmEngine engine, int prompts)
    {
        if (engine.MaxQueuedRequests is not int limit)
            return;
        if (prompts > limit)
            throw ApiException.BadRequest($"the request has {prompts} prompts, more than the server's waiting queue holds ({limit}, --max-queued-requests); send them in smaller requests.");
        if (engine.WaitingRequests + prompts > limit)
            throw ApiErrors.QueueFull(limit);
    }
}
