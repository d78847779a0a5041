using Dllm.Decoding;
using Dllm.Server.Endpoints.Pipeline;
using Dllm.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Dllm.Server.Endpoints.Running;

/// <summary>
/// Starts the generations of one HTTP request: checks the server is ready (503), prepares every prompt with the
/// generator once, before anything runs (400), checks the engine's waiting queue has room for all of them (503 with
/// <c>Retry-After</c>, so a batch is all or nothing unless another request races it), gives them one fairness group
/// and the server's deadline (<see cref="DllmServerOptions.RequestTimeout"/>), and registers each request with its owner
/// (so it can be aborted and drained).
/// </summary>
internal sealed class GenerationRunner(DllmServerState state, RequestTracker tracker, IOptions<DllmServerOptions> options)
{
    /// <summary>The <c>Retry-After</c> of a 503 while the model loads.</summary>
    private static readonly TimeSpan LoadingRetryAfter = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The engine and generator, or a 503: while loading and while shutting down with <c>Retry-After</c> (the load's
    /// usual pace; the drain time, after which a restarted or other instance can answer), after a failed load without, and
    /// once the engine's scheduler failed (<see cref="DllmEngine.Failure"/>: the server log has it; the client is told
    /// nothing of the exception).
    /// </summary>
    public (DllmEngine Engine, IDllmGenerator Generator) RequireReady()
    {
        if (state.TryGetReady(out var engine, out var generator))
        {
            return engine.Failure is null
                ? (engine, generator)
                : throw ApiException.Unavailable("the engine stopped serving after an internal failure (the server log has the details); retry on another instance or after a restart.");
        }
        throw NotReady();
    }

    /// <summary>The 503 for a server that is not ready (loading, load failed, shutting down).</summary>
    private ApiException NotReady() =>
        state.Status switch
        {
            DllmServerStatus.Loading => ApiException.Unavailable("the model is still loading; retry when /health answers 200.", LoadingRetryAfter),
            DllmServerStatus.Failed => ApiException.Unavailable("the model failed to load; the server log has the details."),
            _ => ApiException.Unavailable("the server is shutting down; retry on another instance or after a restart.", options.Value.DrainTimeout),
        };

    /// <summary>
    /// Prepares <paramref name="requests"/> (each with its <see cref="GenerateRequest.RequestId"/> set) as
    /// <paramref name="owner"/>'s with the generator, once each, and registers them; runs nothing yet. A request the
    /// generator refuses is a 400 naming the field as the route spells it (<paramref name="names"/>). The engine runs
    /// each under its owner-scoped id; the batch's updates report the client's rid. <paramref name="batchId"/>, when the
    /// prompts run under ids derived from one rid, lets an abort of that rid reach them all.
    /// </summary>
    public GenerationBatch Start(IReadOnlyList<GenerateRequest> requests, RequestOwner owner, RequestFieldNames names, CancellationToken clientAborted, string? batchId = null)
    {
        var (engine, generator) = RequireReady();
        string group = Guid.NewGuid().ToString("N");
        var timeout = options.Value.RequestTimeout;
        var prepared = new PreparedRequest[requests.Count];
        for (int i = 0; i < requests.Count; i++)
        {
            string rid = requests[i].RequestId ?? throw new ArgumentException("every request needs its id before it starts.", nameof(requests));
            var request = requests[i] with { QueueGroup = group, Timeout = requests[i].Timeout ?? timeout, RequestId = owner.Scope(rid) };
            try
            {
                prepared[i] = generator.Prepare(request);
            }
            catch (ArgumentException e) when (e.ParamName == "rid")
            {
                throw RequestIdInUse(batchId ?? rid);
            }
            catch (Exception e) when (e is ArgumentException or AlgorithmConfigException)
            {
                throw ApiErrors.FromValidation(e, names, i);
            }
        }
        CheckQueueRoom(engine, requests.Count);
        var tracked = requests.Select(r => tracker.Begin(owner, r.RequestId!, batchId)).ToList();
        // Registered first, then checked again: a shutdown's drain that began meanwhile either saw these requests (and
        // waits for them, or aborts them at its timeout) or is seen here, and they are refused before anything runs.
        if (!state.TryGetReady(out _, out _))
        {
            foreach (var request in tracked)
                request.Dispose();
            throw NotReady();
        }
        return new GenerationBatch(generator, prepared, tracked, tracker, clientAborted);
    }

    /// <summary>The 400 for a rid that a running request of the same owner already has (named as the client spelled it).</summary>
    public static ApiException RequestIdInUse(string rid) => ApiException.BadRequest($"rid '{rid}' is already in use by a running request.", "rid");

    /// <summary>The 400 for an empty rid, on every route that takes one.</summary>
    public static ApiException EmptyRequestId() => ApiException.BadRequest("rid must not be empty.", "rid");

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
