using System.Diagnostics;
using Dllm.Decoding;
using Dllm.Scheduling;

namespace Dllm.Diagnostics;

/// <summary>
/// One engine's metrics and request spans. The request span starts on the submitting thread (so the caller's
/// <see cref="Activity.Current"/>, e.g. a chat client's span, is its parent) and is ended by the scheduler thread;
/// the scheduler records per step and per block, never per token, and allocates nothing for the metrics.
/// </summary>
internal sealed class EngineTelemetry : IDisposable
{
    private const string ModelKey = "gen_ai.request.model";
    private readonly KeyValuePair<string, object?> _model;
    private Scheduler? _scheduler;

    public EngineTelemetry(string modelName)
    {
        ModelName = modelName;
        _model = new(ModelKey, modelName);
    }

    public string ModelName { get; }

    /// <summary>The model tag of the gauges.</summary>
    public KeyValuePair<string, object?> ModelTag => _model;

    public long SlotLimit => _scheduler?.Capacity ?? 0;

    /// <summary>Starts observing <paramref name="scheduler"/>'s gauges.</summary>
    public void Observe(Scheduler scheduler)
    {
        _scheduler = scheduler;
        EngineInstruments.Add(this);
    }

    public long Running() => _scheduler?.Running ?? 0;

    public long Waiting() => _scheduler?.Waiting ?? 0;

    public long SlotsUsed() => _scheduler is { } s ? s.Capacity - s.FreeSlots : 0;

    public long DenoisingSteps() => _scheduler?.Steps ?? 0;

    /// <summary>The K/V pool and prefix cache as last published, or null before the scheduler starts.</summary>
    public KvCacheStats? KvCache() => _scheduler?.KvCacheStats;

    /// <summary>The CUDA graphs, or null before the scheduler starts.</summary>
    public CudaGraphStats? CudaGraphs() => _scheduler?.CudaGraphStats;

    /// <summary>Starts the request's span as a child of the caller's current activity, leaving the caller's current activity as it was.</summary>
    public Activity? StartRequest(string id, Decoding.SamplingParams sampling, int promptTokens)
    {
        if (!EngineInstruments.Source.HasListeners())
            return null;
        var caller = Activity.Current;
        var activity = EngineInstruments.Source.StartActivity($"{DllmEngineTelemetry.OperationName} {ModelName}", ActivityKind.Internal);
        Activity.Current = caller;
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("gen_ai.operation.name", DllmEngineTelemetry.OperationName);
            activity.SetTag("gen_ai.provider.name", DllmEngineTelemetry.ProviderName);
            activity.SetTag(ModelKey, ModelName);
            activity.SetTag("gen_ai.request.max_tokens", sampling.MaxNewTokens);
            activity.SetTag("gen_ai.request.temperature", sampling.Temperature);
            activity.SetTag("gen_ai.response.id", id);
            activity.SetTag("gen_ai.usage.input_tokens", promptTokens);
        }
        return activity;
    }

    /// <summary>Ends the span of a request the engine refused (queue full, duplicate id).</summary>
    public static void Reject(Activity? activity, Exception error)
    {
        if (activity is null)
            return;
        activity.SetTag("error.type", error.GetType().FullName);
        activity.SetStatus(ActivityStatusCode.Error, error.Message);
        activity.Stop();
    }

    /// <summary>Records a request's prefill of its prompt's whole blocks, <paramref name="prefixLength"/> positions, of
    /// which the first <see cref="EngineRequest.CachedLength"/> came from the prefix cache.</summary>
    public void OnPrefill(EngineRequest request, int prefixLength)
    {
        if (request.Activity is { IsAllDataRequested: true } activity)
        {
            activity.AddEvent(new ActivityEvent("dllm.prefill", tags: new ActivityTagsCollection
            {
                ["dllm.prefill.tokens"] = prefixLength - request.CachedLength,
                ["dllm.prefill.cached_tokens"] = request.CachedLength,
                ["dllm.kv_pages"] = request.PageTable?.Length ?? 0,
            }));
        }
    }

    public void OnStep(int committed)
    {
        if (EngineInstruments.TokensPerStep.Enabled)
            EngineInstruments.TokensPerStep.Record(committed, Tags());
    }

    public void OnBlockResolved(EngineRequest request, BlockState block, int newTokens)
    {
        request.BlocksResolved++;
        if (request.BlocksResolved == 1)
        {
            request.FirstBlockAt = request.Elapsed;
            request.FirstBlockTokens = newTokens;
            EngineInstruments.TimeToFirstToken.Record(request.FirstBlockAt.Value.TotalSeconds, Tags());
        }
        EngineInstruments.StepsPerBlock.Record(block.Steps, Tags());
        if (request.Activity is { IsAllDataRequested: true } activity)
        {
            activity.AddEvent(new ActivityEvent("dllm.block", tags: new ActivityTagsCollection
            {
                ["dllm.block.index"] = request.BlocksResolved - 1,
                ["dllm.block.steps"] = block.Steps,
                ["dllm.block.tokens"] = newTokens,
            }));
        }
    }

    /// <summary>Records a request's end: finished with <paramref name="reason"/>, or failed with <paramref name="error"/>.</summary>
    public void OnEnd(EngineRequest request, FinishReason? reason, Exception? error)
    {
        var elapsed = request.Elapsed;
        string outcome = error is null ? reason?.Type ?? "abort" : "error";
        var tags = Tags();
        if (error is not null)
            tags.Add("error.type", (error.InnerException ?? error).GetType().FullName);
        EngineInstruments.RequestDuration.Record(elapsed.TotalSeconds, tags);
        EngineInstruments.Requests.Add(1, Tags("dllm.finish_reason", outcome));
        EngineInstruments.TokenUsage.Record(request.PromptIds.Length, Tags("gen_ai.token.type", "input"));
        EngineInstruments.TokenUsage.Record(request.OutputIds.Count, Tags("gen_ai.token.type", "output"));
        int later = request.OutputIds.Count - request.FirstBlockTokens;
        if (error is null && request.FirstBlockAt is TimeSpan first && later > 0)
            EngineInstruments.TimePerOutputToken.Record((elapsed - first).TotalSeconds / later, Tags());
        if (request.Activity is not { } activity)
            return;
        if (activity.IsAllDataRequested)
        {
            activity.SetTag("gen_ai.usage.output_tokens", request.OutputIds.Count);
            activity.SetTag("gen_ai.response.finish_reasons", new[] { outcome });
            activity.SetTag("dllm.denoising_steps", request.DenoisingSteps);
            if (error is not null)
                activity.SetTag("error.type", (error.InnerException ?? error).GetType().FullName);
        }
        if (error is not null)
            activity.SetStatus(ActivityStatusCode.Error, error.Message);
        activity.Stop();
        request.Activity = null;
        // Stop makes the span's parent current on this (the scheduler's) thread; no span belongs there.
        Activity.Current = null;
    }

    private TagList Tags() => new()
    {
        { "gen_ai.operation.name", DllmEngineTelemetry.OperationName },
        { "gen_ai.provider.name", DllmEngineTelemetry.ProviderName },
        _model,
    };

    private TagList Tags(string key, string value)
    {
        var tags = Tags();
        tags.Add(key, value);
        return tags;
    }

    public void Dispose() => EngineInstruments.Remove(this);
}
