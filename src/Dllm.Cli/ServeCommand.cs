using System.CommandLine;
using Dllm.Decoding;

namespace Dllm.Cli;

/// <summary>
/// <c>dllm serve</c>: the SGLang-compatible HTTP server, with SGLang's flags, so a <c>python3 -m sglang.launch_server</c>
/// command line works with the program name replaced.
/// </summary>
internal static class ServeCommand
{
    /// <summary>The command with its options and action.</summary>
    public static Command Create()
    {
        var modelPath = new Option<string?>("--model-path") { Description = "A local Hugging Face model directory (config.json, *.safetensors, tokenizer.json). Models are not downloaded. Without it, a small built-in demo model with random weights is served." };
        var algorithm = new Option<string>("--dllm-algorithm") { Description = $"The diffusion decoding algorithm: {string.Join(", ", DiffusionAlgorithms.Names)}.", DefaultValueFactory = _ => "LowConfidence" };
        var algorithmConfig = new Option<string?>("--dllm-algorithm-config") { Description = "A YAML file with the algorithm's settings (threshold, block_size, ...)." };
        var host = new Option<string>("--host") { Description = "The address to listen on (127.0.0.1, 0.0.0.0, ::, localhost or an IP).", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "The port to listen on (0: any free port).", DefaultValueFactory = _ => 30000 };
        var maxRunning = new Option<int?>("--max-running-requests") { Description = "Requests decoded together; the rest wait (default 16)." };
        var maxQueued = new Option<int?>("--max-queued-requests") { Description = $"Requests that may wait for a slot; beyond it a request gets 503 with Retry-After (default {DllmEngineOptions.DefaultMaxQueuedRequests})." };
        var requestTimeout = new Option<double?>("--request-timeout") { Description = "Deadline of every generation in seconds, from its arrival; past it the request ends with finish reason abort (default: none)." };
        var contextLength = new Option<int?>("--context-length") { Description = "Longest prompt + generation per request (default: the model's, at most 8192)." };
        var dtype = new Option<string>("--dtype") { Description = "auto (bfloat16 on CUDA, float32 on CPU), bfloat16, float16 or float32.", DefaultValueFactory = _ => "auto" };
        var cpuThreads = new Option<int?>("--cpu-threads") { Description = "libtorch's intra-op CPU threads (default: physical cores, at most the CPUs this process may use). Fewer leave room for other processes on a shared machine; OpenMP's threads wait passively (OMP_WAIT_POLICY=PASSIVE unless set)." };
        var device = CommonOptions.Device();
        var libTorchDir = CommonOptions.LibTorchDir();
        var loadFormat = new Option<LoadFormat>("--load-format")
        {
            Description = "auto, safetensors, or dummy (random weights from config.json, for speed tests).",
            DefaultValueFactory = _ => LoadFormat.Auto,
            CustomParser = ParseLoadFormat,
        };
        var servedName = new Option<string?>("--served-model-name") { Description = "The model name reported to clients (default: the model directory's name)." };
        var apiKey = new Option<string[]>("--api-key") { Description = "Require 'Authorization: Bearer <key>' on every route but /health. Repeat it or separate keys with commas for several clients: each key has its own request ids and aborts only its own requests." };
        var adminApiKey = new Option<string?>("--admin-api-key") { Description = "A key that may do all an --api-key may, and abort any client's requests." };
        var allowedOrigins = new Option<string?>("--allowed-origins") { Description = "Comma-separated origins (scheme://host[:port], or *) whose web pages may call the server, with CORS. Default none: requests with a foreign Origin get 403." };
        var maxPrompts = new Option<int?>("--max-prompts-per-request") { Description = $"The most prompts in one /generate or /v1/completions request (default {Server.Hosting.DllmServerOptions.DefaultMaxPromptsPerRequest})." };
        var maxBody = new Option<long?>("--max-request-body-bytes") { Description = $"The largest request body in bytes (default {Server.Hosting.DllmServerOptions.DefaultMaxRequestBodyBytes}, 8 MiB)." };
        var drainTimeout = new Option<double?>("--drain-timeout") { Description = $"At shutdown (SIGTERM, Ctrl+C), seconds running requests may finish before they are aborted; new ones get 503 meanwhile (default {Server.Hosting.DllmServerOptions.DefaultDrainTimeout.TotalSeconds:0}; 0 aborts at once)." };
        var healthCheckTimeout = new Option<double?>("--health-check-timeout") { Description = $"Seconds the one-token generation of /health_generate may take before the server is reported unhealthy (default {Server.Hosting.DllmServerOptions.DefaultHealthGenerateTimeout.TotalSeconds:0})." };
        var gpus = new Option<int?>("--gpus") { Description = "Split the model's layers over this many GPUs (cuda:0..N-1), balanced by weight bytes." };
        var deviceMap = new Option<string?>("--device-map") { Description = "An explicit layer split, e.g. 0-15:cuda:0,16-31:cuda:1 (wins over --gpus). See 'dllm plan'." };
        var disableCudaGraph = new Option<bool>("--disable-cuda-graph") { Description = "Run denoising steps op by op instead of replaying CUDA graphs (graphs need libdllm_cuda.so next to the app)." };
        var enableMetrics = new Option<bool>("--enable-metrics") { Description = "Serve Prometheus metrics at /metrics (request, token, time-to-first-block, steps-per-block, queue, K/V slots). OTLP export follows OTEL_EXPORTER_OTLP_ENDPOINT either way." };
        var logLevel = CommonOptions.LogLevel();
        var trustRemoteCode = new Option<bool>("--trust-remote-code") { Description = "Accepted for SGLang command lines; no effect (no remote code is ever run)." };
        var command = new Command("serve", "Serve a LLaDA2 model over SGLang's HTTP API (/generate, /v1/chat/completions, ...).")
        {
            modelPath, algorithm, algorithmConfig, host, port, maxRunning, maxQueued, requestTimeout, contextLength, dtype, device, libTorchDir,
            loadFormat, servedName, apiKey, gpus, deviceMap, disableCudaGraph, trustRemoteCode,
            adminApiKey, allowedOrigins, maxPrompts, maxBody, enableMetrics, logLevel,
            drainTimeout, healthCheckTimeout, cpuThreads,
        };
        command.SetAction((parse, cancellationToken) => ServeHost.RunAsync(new ServeSettings
        {
            ModelPath = parse.GetValue(modelPath),
            Algorithm = parse.GetValue(algorithm)!,
            AlgorithmConfigPath = parse.GetValue(algorithmConfig),
            Host = parse.GetValue(host)!,
            Port = parse.GetValue(port),
            MaxRunningRequests = parse.GetValue(maxRunning),
            MaxQueuedRequests = parse.GetValue(maxQueued),
            RequestTimeoutSeconds = parse.GetValue(requestTimeout),
            ContextLength = parse.GetValue(contextLength),
            DType = parse.GetValue(dtype)!,
            CpuThreads = parse.GetValue(cpuThreads),
            Device = parse.GetValue(device)!,
            LibTorchDirectory = parse.GetValue(libTorchDir),
            LoadFormat = parse.GetValue(loadFormat),
            ServedModelName = parse.GetValue(servedName),
            ApiKeys = ServeServerOptions.SplitList(parse.GetValue(apiKey)),
            AdminApiKey = parse.GetValue(adminApiKey),
            AllowedOrigins = ServeServerOptions.SplitList(parse.GetValue(allowedOrigins) is string origins ? [origins] : null),
            MaxPromptsPerRequest = parse.GetValue(maxPrompts),
            MaxRequestBodyBytes = parse.GetValue(maxBody),
            TrustRemoteCode = parse.GetValue(trustRemoteCode),
            Gpus = parse.GetValue(gpus),
            DeviceMap = parse.GetValue(deviceMap),
            DisableCudaGraph = parse.GetValue(disableCudaGraph),
            EnableMetrics = parse.GetValue(enableMetrics),
            LogLevel = parse.GetValue(logLevel),
            DrainTimeoutSeconds = parse.GetValue(drainTimeout),
            HealthCheckTimeoutSeconds = parse.GetValue(healthCheckTimeout),
        }, cancellationToken));
        return command;
    }

    /// <summary><c>auto</c>, <c>safetensors</c> or <c>dummy</c> in any case; anything else is a parse error naming the flag.</summary>
    private static LoadFormat ParseLoadFormat(System.CommandLine.Parsing.ArgumentResult result)
    {
        string value = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (Enum.TryParse<LoadFormat>(value, ignoreCase: true, out var format) && Enum.IsDefined(format) && !int.TryParse(value, out _))
            return format;
        result.AddError($"--load-format '{value}' is not one of: auto, safetensors, dummy.");
        return LoadFormat.Auto;
    }
}
