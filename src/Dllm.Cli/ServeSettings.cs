namespace Dllm.Cli;

/// <summary>The flags of <c>dllm serve</c> (SGLang's names).</summary>
internal sealed record ServeSettings
{
    /// <summary><c>--model-path</c>: a local HF model directory; null serves the demo model.</summary>
    public string? ModelPath { get; init; }

    /// <summary><c>--dllm-algorithm</c>.</summary>
    public string Algorithm { get; init; } = "LowConfidence";

    /// <summary><c>--dllm-algorithm-config</c>: the algorithm's YAML file.</summary>
    public string? AlgorithmConfigPath { get; init; }

    /// <summary><c>--host</c>.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary><c>--port</c>.</summary>
    public int Port { get; init; } = 30000;

    /// <summary><c>--max-running-requests</c>; null: the engine's default.</summary>
    public int? MaxRunningRequests { get; init; }

    /// <summary><c>--max-queued-requests</c>: requests that may wait for a slot; null: the engine's default (1024).</summary>
    public int? MaxQueuedRequests { get; init; }

    /// <summary><c>--request-timeout</c>: every HTTP generation's deadline in seconds; null: none.</summary>
    public double? RequestTimeoutSeconds { get; init; }

    /// <summary><c>--gpus</c>: split the layers over N GPUs; null: one device.</summary>
    public int? Gpus { get; init; }

    /// <summary><c>--device-map</c>: an explicit layer split; wins over <see cref="Gpus"/>.</summary>
    public string? DeviceMap { get; init; }

    /// <summary><c>--disable-cuda-graph</c>: run steps op by op instead of replaying CUDA graphs.</summary>
    public bool DisableCudaGraph { get; init; }

    /// <summary><c>--context-length</c>; null: the engine's default.</summary>
    public int? ContextLength { get; init; }

    /// <summary><c>--cpu-threads</c>: libtorch's intra-op CPU threads; null: the engine's default (physical cores).</summary>
    public int? CpuThreads { get; init; }

    /// <summary><c>--dtype</c>.</summary>
    public string DType { get; init; } = "auto";

    /// <summary><c>--device</c>.</summary>
    public string Device { get; init; } = "auto";

    /// <summary><c>--libtorch-dir</c>.</summary>
    public string? LibTorchDirectory { get; init; }

    /// <summary><c>--load-format</c>.</summary>
    public LoadFormat LoadFormat { get; init; } = LoadFormat.Auto;

    /// <summary><c>--served-model-name</c>.</summary>
    public string? ServedModelName { get; init; }

    /// <summary><c>--api-key</c>, repeated or comma-separated: the client keys.</summary>
    public IReadOnlyList<string> ApiKeys { get; init; } = [];

    /// <summary><c>--admin-api-key</c>.</summary>
    public string? AdminApiKey { get; init; }

    /// <summary><c>--allowed-origins</c>: origins whose pages may call the server (CORS).</summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];

    /// <summary><c>--max-prompts-per-request</c>; null: the server's default.</summary>
    public int? MaxPromptsPerRequest { get; init; }

    /// <summary><c>--max-request-body-bytes</c>; null: the server's default.</summary>
    public long? MaxRequestBodyBytes { get; init; }

    /// <summary><c>--drain-timeout</c>: seconds running requests may finish at shutdown; null: the server's default (10).</summary>
    public double? DrainTimeoutSeconds { get; init; }

    /// <summary><c>--health-check-timeout</c>: seconds a health probe's generation may take; null: the server's default (30).</summary>
    public double? HealthCheckTimeoutSeconds { get; init; }

    /// <summary><c>--enable-metrics</c>: Prometheus text at <c>/metrics</c>.</summary>
    public bool EnableMetrics { get; init; }

    /// <summary><c>--log-level</c>: the least severe log entries written.</summary>
    public Microsoft.Extensions.Logging.LogLevel LogLevel { get; init; } = Microsoft.Extensions.Logging.LogLevel.Information;

    /// <summary><c>--trust-remote-code</c>: accepted for SGLang command lines, no effect.</summary>
    public bool TrustRemoteCode { get; init; }
}
