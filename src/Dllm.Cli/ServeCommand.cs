using System.CommandLine;

namespace Dllm.Cli;

/// <summary>
/// <c>dllm serve</c>: the SGLang-compatible HTTP server, with SGLang's flags, so a <c>python3 -m sglang.launch_server</c>
/// command line works with the program name replaced. Every engine option has its flag (<see cref="EngineFlags"/>).
/// </summary>
internal static class ServeCommand
{
    /// <summary>The command with its options and action.</summary>
    public static Command Create() => Create(new EngineFlags());

    /// <summary>The command over <paramref name="engine"/>'s flags (a test reads them back).</summary>
    internal static Command Create(EngineFlags engine)
    {
        var host = new Option<string>("--host") { Description = "The address to listen on (127.0.0.1, 0.0.0.0, ::, localhost or an IP).", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "The port to listen on (0: any free port).", DefaultValueFactory = _ => 30000 };
        var requestTimeout = new Option<double?>("--request-timeout") { Description = "Deadline of every generation in seconds, from its arrival; past it the request ends with finish reason abort (default: none)." };
        var apiKey = new Option<string[]>("--api-key") { Description = "Require 'Authorization: Bearer <key>' on every route but /health. Repeat it or separate keys with commas for several clients: each key has its own request ids and aborts only its own requests." };
        var adminApiKey = new Option<string?>("--admin-api-key") { Description = "A key that may do all an --api-key may, and abort any client's requests." };
        var allowedOrigins = new Option<string?>("--allowed-origins") { Description = "Comma-separated origins (scheme://host[:port], or *) whose web pages may call the server, with CORS. Default none: requests with a foreign Origin get 403." };
        var maxPrompts = new Option<int?>("--max-prompts-per-request") { Description = $"The most prompts in one /generate or /v1/completions request (default {Server.Hosting.DllmServerOptions.DefaultMaxPromptsPerRequest})." };
        var maxBody = new Option<long?>("--max-request-body-bytes") { Description = $"The largest request body in bytes (default {Server.Hosting.DllmServerOptions.DefaultMaxRequestBodyBytes}, 8 MiB)." };
        var drainTimeout = new Option<double?>("--drain-timeout") { Description = $"At shutdown (SIGTERM, Ctrl+C), seconds running requests may finish before they are aborted; new ones get 503 meanwhile (default {Server.Hosting.DllmServerOptions.DefaultDrainTimeout.TotalSeconds:0}; 0 aborts at once)." };
        var healthCheckTimeout = new Option<double?>("--health-check-timeout") { Description = $"Seconds the one-token generation of /health_generate may take before the server is reported unhealthy (default {Server.Hosting.DllmServerOptions.DefaultHealthGenerateTimeout.TotalSeconds:0})." };
        var enableMetrics = new Option<bool>("--enable-metrics") { Description = "Serve Prometheus metrics at /metrics (request, token, time-to-first-block, steps-per-block, queue, K/V slots). OTLP export follows OTEL_EXPORTER_OTLP_ENDPOINT either way." };
        var logLevel = CommonOptions.LogLevel();
        var trustRemoteCode = new Option<bool>("--trust-remote-code") { Description = "Accepted for SGLang command lines; no effect (no remote code is ever run)." };
        var command = new Command("serve", "Serve a LLaDA2 model over SGLang's HTTP API (/generate, /v1/chat/completions, ...).")
        {
            host, port, requestTimeout, apiKey, trustRemoteCode, adminApiKey, allowedOrigins, maxPrompts, maxBody, enableMetrics, logLevel,
            drainTimeout, healthCheckTimeout,
        };
        foreach (var option in engine.All)
            command.Options.Add(option);
        command.SetAction((parse, cancellationToken) => ServeHost.RunAsync(new ServeSettings
        {
            Engine = engine.Read(parse),
            Host = parse.GetValue(host)!,
            Port = parse.GetValue(port),
            RequestTimeoutSeconds = parse.GetValue(requestTimeout),
            ApiKeys = ServeServerOptions.SplitList(parse.GetValue(apiKey)),
            AdminApiKey = parse.GetValue(adminApiKey),
            AllowedOrigins = ServeServerOptions.SplitList(parse.GetValue(allowedOrigins) is string origins ? [origins] : null),
            MaxPromptsPerRequest = parse.GetValue(maxPrompts),
            MaxRequestBodyBytes = parse.GetValue(maxBody),
            TrustRemoteCode = parse.GetValue(trustRemoteCode),
            EnableMetrics = parse.GetValue(enableMetrics),
            LogLevel = parse.GetValue(logLevel),
            DrainTimeoutSeconds = parse.GetValue(drainTimeout),
            HealthCheckTimeoutSeconds = parse.GetValue(healthCheckTimeout),
        }, engine.NameOf, cancellationToken));
        return command;
    }
}
