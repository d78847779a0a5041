using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dllm.Hosting;
using Dllm.Server.Endpoints.Json;
using Dllm.Server.Endpoints.Pipeline;
using Dllm.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Dllm.Server.Endpoints.Info;

/// <summary>
/// <c>GET /get_server_info</c>: the effective server arguments (model, algorithm and its settings, limits, device,
/// the command line's extra arguments; never the API key itself), the status, the engine's queue, its K/V pool and
/// prefix cache, and the version.
/// Fields only the loaded engine knows are null while it loads.
/// </summary>
internal sealed class ServerInfoEndpoint(DllmEngineProvider provider, DllmServerState state, IOptions<DllmServerOptions> options) : IDllmEndpoint
{
    private static readonly string Version =
        typeof(ServerInfoEndpoint).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <inheritdoc />
    public IReadOnlyList<string> Methods { get; } = ["GET"];

    /// <inheritdoc />
    public IReadOnlyList<string> Patterns { get; } = ["/get_server_info"];

    /// <inheritdoc />
    public Task HandleAsync(HttpContext context)
    {
        var engineOptions = provider.Options;
        var engine = state.Engine;
        var info = new JsonObject
        {
            ["model_path"] = Path.GetFullPath(engineOptions.ModelPath),
            ["tokenizer_path"] = Path.GetFullPath(engineOptions.ModelPath),
            ["served_model_name"] = engine?.ModelName ?? engineOptions.ServedModelName,
            ["dllm_algorithm"] = engine?.AlgorithmName ?? engineOptions.Algorithm,
            ["dllm_algorithm_config"] = AlgorithmConfig(engine, engineOptions),
            ["block_size"] = engine?.BlockSize,
            ["max_running_requests"] = engineOptions.MaxRunningRequests,
            ["max_queued_requests"] = engineOptions.MaxQueuedRequests,
            ["max_prefill_tokens"] = engineOptions.MaxPrefillTokens,
            ["request_timeout"] = options.Value.RequestTimeout?.TotalSeconds,
            ["context_length"] = engine?.ContextLength ?? engineOptions.ContextLength,
            ["max_total_tokens"] = engine?.MaxTotalTokens ?? engineOptions.MaxTotalTokens,
            ["mem_fraction_static"] = engineOptions.MemFractionStatic,
            ["disable_radix_cache"] = engineOptions.DisableRadixCache,
            ["load_format"] = engineOptions.LoadFormat.ToString().ToLowerInvariant(),
            ["dtype"] = engine?.DType.ToString().ToLowerInvariant() ?? engineOptions.DType,
            ["device"] = engine?.Device.ToString() ?? engineOptions.Device,
            ["cpu_threads"] = engine is null ? engineOptions.CpuThreads : Native.IntraOpThreads.Current,
            ["omp_wait_policy"] = engine?.Backend.OpenMpWaitPolicy,
            ["api_key_required"] = ApiKeyCheck.HasKeys(options.Value),
            ["max_request_body_bytes"] = options.Value.MaxRequestBodyBytes,
            ["max_prompts_per_request"] = options.Value.MaxPromptsPerRequest,
            ["drain_timeout"] = options.Value.DrainTimeout.TotalSeconds,
            ["health_check_timeout"] = options.Value.HealthGenerateTimeout.TotalSeconds,
            ["demo_model"] = options.Value.IsDemoModel,
        };
        foreach (var (name, value) in options.Value.ServerArguments)
            info[name] = JsonSerializer.SerializeToNode(value, DllmJson.Options);
        info["status"] = state.Status.ToString().ToLowerInvariant();
        info["running_requests"] = engine?.RunningRequests;
        info["waiting_requests"] = engine?.WaitingRequests;
        info["denoising_steps"] = engine?.DenoisingSteps;
        info["kv_cache"] = engine is null ? null : KvCache(engine.KvCacheStats);
        info["cuda_graphs"] = engine is null ? null : CudaGraphs(engine.CudaGraphStats);
        info["version"] = Version;
        return DllmJson.WriteAsync(context, info);
    }

    /// <summary>The paged K/V pool and the prefix cache (<see cref="KvCacheStats"/>).</summary>
    private static JsonObject KvCache(KvCacheStats stats) => new()
    {
        ["page_size"] = stats.PageSize,
        ["total_pages"] = stats.TotalPages,
        ["pages_in_use"] = stats.PagesInUse,
        ["pages_free"] = stats.PagesFree,
        ["pages_cached"] = stats.PagesCached,
        ["pages_evictable"] = stats.PagesEvictable,
        ["prefix_cache"] = stats.PrefixCacheEnabled,
        ["requests"] = stats.Requests,
        ["cache_hit_requests"] = stats.CacheHitRequests,
        ["cache_hit_blocks"] = stats.CacheHitBlocks,
        ["cached_tokens"] = stats.CachedTokens,
        ["prefilled_tokens"] = stats.PrefilledTokens,
        ["retractions"] = stats.Retractions,
    };

    /// <summary>The CUDA graphs (<see cref="CudaGraphStats"/>).</summary>
    private static JsonObject CudaGraphs(CudaGraphStats stats) => new()
    {
        ["enabled"] = stats.Enabled,
        ["batch_sizes"] = new JsonArray([.. stats.BatchSizes.Select(size => (JsonNode?)size)]),
        ["padding"] = stats.Padding,
        ["captured"] = stats.Captured,
        ["evicted"] = stats.Evicted,
        ["capture_seconds"] = stats.CaptureTime.TotalSeconds,
    };

    private static JsonObject AlgorithmConfig(DllmEngine? engine, DllmEngineOptions engineOptions)
    {
        var config = engine?.AlgorithmConfig;
        var result = new JsonObject { ["source"] = config?.Source ?? engineOptions.AlgorithmConfigPath };
        foreach (var (key, value) in config?.Values ?? new Dictionary<string, double>())
            result[key] = value;
        return result;
    }
}
