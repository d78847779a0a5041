namespace Dllm.Server.Hosting;

/// <summary>Settings of the SGLang-compatible HTTP endpoints (<c>services.AddDllmServer(...)</c>).</summary>
public sealed class DllmServerOptions
{
    /// <summary>The default largest request body: 32 MiB.</summary>
    public const long DefaultMaxRequestBodyBytes = 32L * 1024 * 1024;

    /// <summary>
    /// When set, every route but <c>/health</c> and <c>/health_generate</c> (the paths SGLang leaves open for
    /// probes) needs <c>Authorization: Bearer &lt;key&gt;</c>; others get 401 (SGLang's <c>--api-key</c>).
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>The largest request body accepted; a larger one gets 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = DefaultMaxRequestBodyBytes;

    /// <summary>
    /// Builds the generator the endpoints generate with from the loaded engine; null: the engine itself. Decorate
    /// to add logging or metrics, or, in tests, to script outputs a random model cannot produce.
    /// </summary>
    public Func<DllmEngine, IDllmGenerator>? Generator { get; set; }

    /// <summary>
    /// The deadline of every generation started over HTTP, counted from its submission (<c>--request-timeout</c>):
    /// past it the request ends with finish reason <c>abort</c> ("deadline of N s exceeded") and its output so far,
    /// whether it was waiting or running, and its slot is freed. Null (the default): no deadline.
    /// </summary>
    public TimeSpan? RequestTimeout { get; set; }

    /// <summary>How long a health probe's one-token generation may take before the server is reported unhealthy.</summary>
    public TimeSpan HealthGenerateTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A health probe skips its generation when the engine produced output this recently (it is evidently healthy).</summary>
    public TimeSpan HealthRecentActivity { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>On shutdown, how long running requests may finish before they are aborted.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Stop the application when the model fails to load (a server without a model is of no use); default true.</summary>
    public bool StopApplicationOnLoadFailure { get; set; } = true;

    /// <summary>True when the model is the built-in demo model (random weights); reported by <c>/get_server_info</c>.</summary>
    public bool IsDemoModel { get; set; }

    /// <summary>Extra server arguments reported by <c>/get_server_info</c> (the command line fills in host, port, ...).</summary>
    public IDictionary<string, object?> ServerArguments { get; } = new Dictionary<string, object?>(StringComparer.Ordinal);
}
