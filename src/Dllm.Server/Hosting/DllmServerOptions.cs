namespace Dllm.Server.Hosting;

/// <summary>
/// Settings of the SGLang-compatible HTTP endpoints (<c>services.AddDllmServer(...)</c>). Bound from the app's
/// configuration section <see cref="ConfigurationSection"/> (<c>"Dllm:Server"</c>; TimeSpans as <c>"00:00:30"</c>), then
/// the <c>AddDllmServer</c> delegate; validated when the host starts, with messages naming the key.
/// </summary>
public sealed class DllmServerOptions
{
    /// <summary>The configuration section the options are bound from: <c>Dllm:Server</c> (environment: <c>Dllm__Server__DrainTimeout</c>).</summary>
    public const string ConfigurationSection = "Dllm:Server";

    /// <summary>The default <see cref="DrainTimeout"/>: 10 s.</summary>
    public static readonly TimeSpan DefaultDrainTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The default <see cref="HealthGenerateTimeout"/>: 30 s.</summary>
    public static readonly TimeSpan DefaultHealthGenerateTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The default largest request body: 8 MiB. The longest legal prompt is one full context (at most 8,192 tokens
    /// by default): as <c>input_ids</c> at most 7 bytes a token (a six-digit id and a comma), 56 KiB; as text about
    /// 100 bytes a token in the worst case (every character a <c>\uXXXX</c> escape), 0.8 MiB. 8 MiB holds ten such
    /// texts, or a batch of 128 full-context <c>input_ids</c> prompts.
    /// </summary>
    public const long DefaultMaxRequestBodyBytes = 8L * 1024 * 1024;

    /// <summary>The default largest number of prompts in one request: 256.</summary>
    public const int DefaultMaxPromptsPerRequest = 256;

    /// <summary>The name of the CORS policy <c>AddDllmServer</c> registers for <see cref="AllowedOrigins"/> (apply it with <c>app.UseCors(...)</c>).</summary>
    public const string CorsPolicyName = "dllm";

    /// <summary>
    /// When set, every route but <c>/health</c> (the path SGLang leaves open for probes) needs
    /// <c>Authorization: Bearer &lt;key&gt;</c>; others get 401 (SGLang's <c>--api-key</c>). One key of
    /// <see cref="ApiKeys"/>, listed first.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// More API keys, each a client of its own (<c>--api-key</c> repeated or comma-separated): a request belongs to the
    /// key it was made with; its request ids are that key's, and <c>/abort_request</c> reaches only that key's requests.
    /// </summary>
    public IList<string> ApiKeys { get; } = [];

    /// <summary>A key that may do all an API key may, and abort any client's requests (<c>--admin-api-key</c>).</summary>
    public string? AdminApiKey { get; set; }

    /// <summary>
    /// Origins (<c>scheme://host[:port]</c>, or <c>*</c> for any) whose browser pages may call the server, with CORS
    /// (<c>--allowed-origins</c>). A request with any other <c>Origin</c> than the server's own gets 403. Empty by
    /// default: no CORS, and only same-origin pages and non-browser clients (which send no <c>Origin</c>) are served.
    /// </summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>The largest request body accepted; a larger one gets 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = DefaultMaxRequestBodyBytes;

    /// <summary>The most prompts one <c>/generate</c> or <c>/v1/completions</c> request may carry; more get 400 before any work.</summary>
    public int MaxPromptsPerRequest { get; set; } = DefaultMaxPromptsPerRequest;

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

    /// <summary>
    /// How long a health probe's one-token generation (<c>/health_generate</c>, the <c>dllm_generate</c> check) may take
    /// before the server is reported unhealthy (<c>--health-check-timeout</c>); above 0, at most a day.
    /// </summary>
    public TimeSpan HealthGenerateTimeout { get; set; } = DefaultHealthGenerateTimeout;

    /// <summary>A health probe skips its generation when the engine produced output this recently (it is evidently healthy).</summary>
    public TimeSpan HealthRecentActivity { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// On shutdown, how long running requests may finish before they are aborted (<c>--drain-timeout</c>); 0 aborts at
    /// once; at most a day. The host's shutdown timeout is lengthened to fit it.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = DefaultDrainTimeout;

    /// <summary>Stop the application when the model fails to load (a server without a model is of no use); default true.</summary>
    public bool StopApplicationOnLoadFailure { get; set; } = true;

    /// <summary>
    /// Serve the <c>Dllm.Engine</c> and <c>Dllm.Server</c> metrics as Prometheus text at <c>/metrics</c> (SGLang's
    /// <c>--enable-metrics</c>; open like <c>/health</c>, without an API key). Set by <c>services.AddDllmTelemetry()</c>,
    /// which registers the exporter; <c>MapDllmEndpoints</c> maps the path. Default false: <c>/metrics</c> is not served.
    /// </summary>
    public bool EnableMetrics { get; set; }

    /// <summary>True when the model is the built-in demo model (random weights); reported by <c>/get_server_info</c>.</summary>
    public bool IsDemoModel { get; set; }

    /// <summary>Extra server arguments reported by <c>/get_server_info</c> (the command line fills in host, port, ...).</summary>
    public IDictionary<string, object?> ServerArguments { get; } = new Dictionary<string, object?>(StringComparer.Ordinal);
}
