namespace Dllm.Diagnostics;

/// <summary>
/// The names under which the engine publishes its <see cref="System.Diagnostics.Metrics.Meter"/> and
/// <see cref="System.Diagnostics.ActivitySource"/> (listen with OpenTelemetry's <c>AddMeter(MeterName)</c> and
/// <c>AddSource(ActivitySourceName)</c>), and the names of its instruments (see docs/operations.md).
/// </summary>
public static class DllmEngineTelemetry
{
    /// <summary>The engine's meter: <c>Dllm.Engine</c>.</summary>
    public const string MeterName = "Dllm.Engine";

    /// <summary>The engine's activity source: <c>Dllm.Engine</c>; one span per request, with prefill and block events.</summary>
    public const string ActivitySourceName = "Dllm.Engine";

    /// <summary>The value of <c>gen_ai.provider.name</c> on the engine's measurements and spans.</summary>
    public const string ProviderName = "dllm";

    /// <summary>The value of <c>gen_ai.operation.name</c> of an engine request (a prompt in, text out).</summary>
    public const string OperationName = "text_completion";

    /// <summary>Histogram (s): submission to end of a request (GenAI semantic conventions).</summary>
    public const string RequestDuration = "gen_ai.server.request.duration";

    /// <summary>Histogram (s): submission to the first resolved block, the diffusion counterpart of the first token.</summary>
    public const string TimeToFirstToken = "gen_ai.server.time_to_first_token";

    /// <summary>Histogram (s): time per output token after the first block.</summary>
    public const string TimePerOutputToken = "gen_ai.server.time_per_output_token";

    /// <summary>Histogram ({token}): prompt and output tokens per request, by <c>gen_ai.token.type</c> (<c>input</c>, <c>output</c>).</summary>
    public const string TokenUsage = "gen_ai.server.token.usage";

    /// <summary>Counter ({request}): finished requests, by <c>dllm.finish_reason</c> (<c>stop</c>, <c>length</c>, <c>abort</c>, <c>error</c>).</summary>
    public const string Requests = "dllm.requests";

    /// <summary>Histogram ({step}): denoising steps a block took to resolve.</summary>
    public const string StepsPerBlock = "dllm.denoising_steps_per_block";

    /// <summary>Histogram ({token}): tokens one denoising step committed into one request's masked slots.</summary>
    public const string TokensPerStep = "dllm.tokens_per_step";

    /// <summary>Counter ({step}): denoising forwards run (a batched forward counts once).</summary>
    public const string DenoisingSteps = "dllm.denoising_steps";

    /// <summary>Gauge ({request}): requests being decoded.</summary>
    public const string RunningRequests = "dllm.requests.running";

    /// <summary>Gauge ({request}): requests waiting for a K/V slot.</summary>
    public const string WaitingRequests = "dllm.requests.waiting";

    /// <summary>Gauge ({slot}): K/V cache slots in use.</summary>
    public const string KvSlotsUsed = "dllm.kv_slots.used";

    /// <summary>Gauge ({slot}): K/V cache slots in all (<see cref="DllmEngineOptions.MaxRunningRequests"/>).</summary>
    public const string KvSlotsLimit = "dllm.kv_slots.limit";

    /// <summary>Gauge ({page}): K/V pool pages referenced by running requests.</summary>
    public const string KvPagesUsed = "dllm.kv_pages.used";

    /// <summary>Gauge ({page}): K/V pool pages neither referenced nor cached.</summary>
    public const string KvPagesFree = "dllm.kv_pages.free";

    /// <summary>Gauge ({page}): K/V pool pages in the prefix cache (referenced or not).</summary>
    public const string KvPagesCached = "dllm.kv_pages.cached";

    /// <summary>Gauge ({page}): K/V pool pages in all (<see cref="DllmEngineOptions.MaxTotalTokens"/> / page size).</summary>
    public const string KvPagesLimit = "dllm.kv_pages.limit";

    /// <summary>Counter ({request}): requests that reused cached prompt blocks (the prefix cache's hits).</summary>
    public const string PrefixCacheHits = "dllm.prefix_cache.hits";

    /// <summary>Counter ({token}): prompt tokens whose K/V came from the prefix cache instead of a prefill.</summary>
    public const string PrefixCacheTokens = "dllm.prefix_cache.cached_tokens";

    /// <summary>Counter ({request}): running requests retracted (their K/V pages taken back for another request's next
    /// block; each resumes later with its output kept).</summary>
    public const string KvRetractions = "dllm.kv_retractions";

    /// <summary>Counter ({graph}): CUDA graphs captured (each stalls the step that captures it; graphs evicted are
    /// captured again when their shape comes back).</summary>
    public const string CudaGraphCaptures = "dllm.cuda_graph.captures";

    /// <summary>Counter ({graph}): CUDA graphs freed to stay within the number kept.</summary>
    public const string CudaGraphEvictions = "dllm.cuda_graph.evictions";
}
