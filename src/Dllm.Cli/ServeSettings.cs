namespace Dllm.Cli;

/// <summary>The flags of <c>dllm serve</c> (SGLang's names): the engine's, read into <see cref="DllmEngineOptions"/>, and the server's.</summary>
internal sealed record ServeSettings
{
    /// <summary>The engine flags (<see cref="EngineFlags"/>); an empty <see cref="DllmEngineOptions.ModelPath"/>: no <c>--model-path</c>, the demo model.</summary>
    public required DllmEngineOptions Engine { get; init; }

    /// <summary>No <c>--model-path</c>: the built-in demo model is served.</summary>
    public bool IsDemo => Engine.ModelPath.Length == 0;

    /// <summary><c>--host</c>.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary><c>--port</c>.</summary>
    public int Port { get; init; } = 30000;

    /// <summary><c>--request-timeout</c>: every HTTP generation's deadline in seconds; null: none.</summary>
    public double? RequestTimeoutSeconds { get; init; }

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
