using Dllm.Decoding;
using Dllm.Server.Endpoints.Pipeline;
using Dllm.Server.Hosting;

namespace Dllm.Server.Endpoints.Running;

/// <summary>
/// Starts the generations of one HTTP request: checks the server is ready (503), validates every prompt with
/// the engine before anything runs (400), registers each request id (so it can be aborted and drained).
/// </summary>
internal sealed class GenerationRunner(DllmServerState state, RequestTracker tracker)
{
    /// <summary>The engine and generator, or a 503 while loading, after a failed load, or while shutting down.</summary>
    public (DllmEngine Engine, IDllmGenerator Generator) RequireReady()
    {
        if (state.TryGetReady(out var engine, out var generator))
            return (engine, generator);
        throw ApiException.Unavailable(state.Status switch
        {
            DllmServerStatus.Loading => "the model is still loading; retry when /health answers 200.",
            DllmServerStatus.Failed => $"the model failed to load: {state.LoadError?.Message}",
            _ => "the server is shutting down.",
        });
    }

    /// <summary>
    /// Validates and registers <paramref name="requests"/> (each with its <see cref="GenerateRequest.RequestId"/> set)
    /// as <paramref name="owner"/>'s; runs nothing yet. The engine runs each under its owner-scoped id; the batch's
    /// updates report the client's rid.
    /// </summary>
    public GenerationBatch Start(IReadOnlyList<GenerateRequest> requests, RequestOwner owner, CancellationToken clientAborted)
    {
        var (engine, generator) = RequireReady();
        foreach (var request in requests)
        {
            try
            {
                engine.Validate(request);
            }
            catch (Exception e) when (e is ArgumentException or AlgorithmConfigException)
            {
                throw ApiErrors.FromValidation(e);
            }
        }
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
}
