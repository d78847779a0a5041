using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Dllm.Native;
using Dllm.Server.Tests.Infrastructure;
using Dllm.Testing;

namespace Dllm.Server.Tests.Cli;

/// <summary><c>dllm serve</c> as a real process, driven over HTTP.</summary>
public class ServeCommandTests
{
    /// <summary>The demo model is written here once per machine, not into the user's cache.</summary>
    private static readonly Dictionary<string, string?> Environment = new()
    {
        ["DLLM_CACHE_DIR"] = Path.Combine(Path.GetTempPath(), "dllm-test-cache"),
        [LibStdCxxCompatibility.DisableVariable] = null,
    };

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static ExternalProcess StartServe(params string[] args) =>
        ExternalProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "dllm.dll"), "serve", .. args], Environment);

    private static async Task WaitForHealthAsync(HttpClient client, ExternalProcess serve)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            Assert.False(serve.HasExited, serve.Output);
            Assert.True(DateTime.UtcNow < deadline, $"no healthy server in 2 minutes:\n{serve.Output}");
            try
            {
                if ((await client.GetAsync("/health")).StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task With_no_arguments_but_a_port_it_serves_the_demo_model_and_answers_the_seed_request()
    {
        int port = FreePort();
        using var serve = StartServe("--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(1) };
        await WaitForHealthAsync(client, serve);

        // The seed's counting request, with no token limit: the trained demo model counts to 128 and stops there.
        var counting = await (await client.PostAsync("/generate", new StringContent(
            System.Text.Json.JsonSerializer.Serialize(new { text = SeedRequests.NumbersPrompt, sampling_params = new { temperature = 0, max_new_tokens = 1024 } }),
            System.Text.Encoding.UTF8, "application/json"))).JsonAsync();
        var answer = await (await client.PostAsync("/generate", SeedRequests.Single)).JsonAsync();
        var info = await (await client.GetAsync("/get_server_info")).JsonAsync();
        serve.Terminate();
        int exit = await serve.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(string.Join(", ", Enumerable.Range(1, 128)), counting.GetProperty("text").GetString());
        Assert.Equal("stop", counting.GetProperty("meta_info").GetProperty("finish_reason").GetProperty("type").GetString());
        Assert.StartsWith("The Great Wall of China", answer.GetProperty("text").GetString());
        Assert.Equal("stop", answer.GetProperty("meta_info").GetProperty("finish_reason").GetProperty("type").GetString());
        Assert.True(info.GetProperty("demo_model").GetBoolean());
        Assert.Equal(DemoModel.ServedModelName, info.GetProperty("served_model_name").GetString());
        Assert.Equal(port, info.GetProperty("port").GetInt32());
        Assert.Contains("DEMO model", serve.Output);
        Assert.Contains("not LLaDA2.0-mini", serve.Output);
        Assert.True(exit == 0, serve.Output);
        Assert.Contains("Server stopped", serve.Output);
    }

    [Fact]
    public async Task The_seed_command_line_works_with_a_local_model()
    {
        int port = FreePort();
        string config = Path.Combine(AppContext.BaseDirectory, "samples", "config.yaml");
        using var serve = StartServe("--model-path", TinyModels.Peaked, "--dllm-algorithm", "LowConfidence", "--dllm-algorithm-config", config,
            "--host", "0.0.0.0", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--trust-remote-code", "--max-running-requests", "1",
            "--device", "cpu", "--served-model-name", "llada2-test", "--max-queued-requests", "64", "--request-timeout", "120");
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(1) };
        await WaitForHealthAsync(client, serve);

        var streamed = await client.PostAsync("/generate", SeedRequests.StreamingBatch);
        var events = ServerSentEvents.JsonUntilDone(await ServerSentEvents.ReadAllAsync(streamed));
        var info = await (await client.GetAsync("/get_server_info")).JsonAsync();
        var models = await (await client.GetAsync("/v1/models")).JsonAsync();
        serve.Terminate();
        await serve.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, events.Count(e => e.GetProperty("meta_info").GetProperty("finish_reason").ValueKind != JsonValueKind.Null));
        Assert.Equal(1, info.GetProperty("max_running_requests").GetInt32());
        Assert.Equal(64, info.GetProperty("max_queued_requests").GetInt32());
        Assert.Equal(120, info.GetProperty("request_timeout").GetDouble());
        Assert.Equal(0.95, info.GetProperty("dllm_algorithm_config").GetProperty("threshold").GetDouble());
        Assert.Equal(config, info.GetProperty("dllm_algorithm_config").GetProperty("source").GetString());
        Assert.True(info.GetProperty("trust_remote_code").GetBoolean());
        Assert.Equal("llada2-test", models.GetProperty("data")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task The_key_origin_and_limit_flags_reach_the_server()
    {
        int port = FreePort();
        using var serve = StartServe("--model-path", TinyModels.Peaked, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--api-key", "sk-a,sk-b", "--api-key", "sk-c", "--admin-api-key", "sk-admin", "--allowed-origins", "http://app.example, http://localhost:5173",
            "--max-prompts-per-request", "2", "--max-request-body-bytes", "4096");
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(1) };
        await WaitForHealthAsync(client, serve);

        var statuses = new List<HttpStatusCode>();
        foreach (string key in new[] { "sk-a", "sk-b", "sk-c", "sk-admin", "sk-wrong" })
            statuses.Add((await client.SendWithKeyAsync(HttpMethod.Post, "/generate", key, """{"text": "hi", "sampling_params": {"max_new_tokens": 1}}""")).StatusCode);
        var tooMany = await client.SendWithKeyAsync(HttpMethod.Post, "/generate", "sk-a", """{"text": ["a", "b", "c"]}""");
        var tooLarge = await client.SendWithKeyAsync(HttpMethod.Post, "/generate", "sk-a", $$"""{"text": "{{new string('a', 5000)}}"}""");
        var cors = await client.SendRawAsync(HttpMethod.Options, "/generate", null, headers: [("Origin", "http://localhost:5173"), ("Access-Control-Request-Method", "POST")]);
        var unknown = await client.GetAsync("/nope");
        serve.Terminate();
        await serve.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Unauthorized], statuses);
        Assert.Contains("at most 2", (await tooMany.ErrorAsync(HttpStatusCode.BadRequest)).GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal("http://localhost:5173", cors.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("not_found", (await unknown.ErrorAsync(HttpStatusCode.NotFound)).GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("--max-prompts-per-request", "0", "--max-prompts-per-request must be at least 1")]
    [InlineData("--max-request-body-bytes", "10", "--max-request-body-bytes must be at least 1024")]
    [InlineData("--allowed-origins", "app.example", "--allowed-origins 'app.example' is not an origin")]
    public async Task A_bad_http_flag_is_a_one_line_error_with_exit_code_2(string flag, string value, string message)
    {
        using var serve = StartServe("--model-path", TinyModels.Peaked, "--port", "0", flag, value);
        int exit = await serve.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, exit);
        Assert.Contains(message, serve.Output);
        Assert.DoesNotContain("   at ", serve.Output);
    }

    [Fact]
    public async Task The_log_level_flag_sets_the_least_severe_entries_written()
    {
        int quietPort = FreePort(), debugPort = FreePort();
        using var quiet = StartServe("--model-path", TinyModels.Peaked, "--port", quietPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--device", "cpu", "--log-level", "WARNING");
        using var debug = StartServe("--model-path", TinyModels.Peaked, "--port", debugPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--device", "cpu", "--log-level", "debug");
        using var quietClient = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{quietPort}"), Timeout = TimeSpan.FromMinutes(1) };
        using var debugClient = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{debugPort}"), Timeout = TimeSpan.FromMinutes(1) };
        await WaitForHealthAsync(quietClient, quiet);
        await WaitForHealthAsync(debugClient, debug);
        quiet.Terminate();
        debug.Terminate();
        Assert.Equal(0, await quiet.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, await debug.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        Assert.DoesNotContain("info: ", quiet.Output);
        Assert.DoesNotContain("Server stopped", quiet.Output);
        Assert.Contains("info: dllm.serve[3000] dllm serve listening on", debug.Output);
        Assert.Contains("dbug: Dllm.ModelLoader[1105] Loaded layer 1/", debug.Output);
        Assert.Contains("[2104] Server stopped", debug.Output);
    }

    /// <summary>
    /// --health-check-timeout: a timeout no generation can meet makes the probe's generation fail (503), while a
    /// server that is generating anyway answers 200 (the probe is skipped);
    /// --drain-timeout: at SIGTERM a running stream gets that long, then ends with finish reason abort.
    /// </summary>
    [Fact]
    public async Task The_health_check_and_drain_timeout_flags_reach_the_server()
    {
        int port = FreePort();
        using var serve = StartServe("--model-path", TinyModels.Random, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--device", "cpu",
            "--health-check-timeout", "0.0005", "--drain-timeout", "0.5");
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(1) };
        var deadline = DateTime.UtcNow.AddMinutes(2);
        JsonElement info;
        while ((info = await GetInfoAsync(client, serve)).GetProperty("status").GetString() != "ready")
        {
            Assert.True(DateTime.UtcNow < deadline, $"not ready in 2 minutes:\n{serve.Output}");
            await Task.Delay(200);
        }

        var healthGenerate = await client.GetAsync("/health_generate");
        using var stream = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/generate") { Content = new StringContent(RandomModelServer.Long("drain-1", stream: true), System.Text.Encoding.UTF8, "application/json") },
            HttpCompletionOption.ResponseHeadersRead);
        var events = stream.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(await events);
        Assert.StartsWith("data: ", await reader.ReadLineAsync()); // the first block: the request runs
        var health = await client.GetAsync("/health");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        serve.Terminate();
        string rest = await reader.ReadToEndAsync();
        var ended = clock.Elapsed;
        int exit = await serve.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0.5, info.GetProperty("drain_timeout").GetDouble());
        Assert.Equal(0.0005, info.GetProperty("health_check_timeout").GetDouble());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, healthGenerate.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Contains("[2303] Health generation took longer than 0.0005 s", serve.Output);
        Assert.Contains("\"abort\"", rest);
        Assert.Contains("[2100] Draining 1 running requests (at most 0.5 s)", serve.Output);
        Assert.Contains("[2101] Aborting 1 requests still running at shutdown", serve.Output);
        Assert.True(ended > TimeSpan.FromSeconds(0.4) && ended < TimeSpan.FromSeconds(8), $"the stream ended {ended.TotalSeconds:F2} s after SIGTERM");
        Assert.Equal(0, exit);
    }

    /// <summary>The start-up report: one log entry whose lines are an aligned block, not one squashed line.</summary>
    [Fact]
    public async Task The_start_up_report_is_a_block_of_named_lines()
    {
        int port = FreePort();
        using var serve = StartServe("--model-path", TinyModels.Peaked, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--device", "cpu",
            "--dtype", "float32", "--max-running-requests", "2", "--context-length", "256", "--served-model-name", "report-model", "--cpu-threads", "1");
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(1) };
        await WaitForHealthAsync(client, serve);
        var info = await (await client.GetAsync("/get_server_info")).JsonAsync();
        serve.Terminate();
        await serve.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, info.GetProperty("cpu_threads").GetInt32()); // --cpu-threads: torch.set_num_threads
        // Set by Dllm, or inherited: this test process's own backend set it, and child processes inherit the environment.
        Assert.Matches(@"^PASSIVE \((set by Dllm|from OMP_WAIT_POLICY)\)$", info.GetProperty("omp_wait_policy").GetString());
        var lines = serve.Output.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        int first = lines.FindIndex(l => l.Contains("info: Dllm.Server.Hosting.DllmServerHostedService[2001] Model report-model loaded in ", StringComparison.Ordinal));
        Assert.True(first >= 0, serve.Output);
        var block = lines.Skip(first + 1).TakeWhile(l => l.StartsWith("    ", StringComparison.Ordinal)).ToDictionary(
            l => l.Trim()[..l.Trim().IndexOf(':', StringComparison.Ordinal)], l => l.Trim()[(l.Trim().IndexOf(':', StringComparison.Ordinal) + 1)..].Trim());

        Assert.Equal(["model", "shape", "device", "dtype", "threads", "libtorch", "torch", "algorithm", "context", "requests"], block.Keys);
        Assert.Equal($"report-model ({TinyModels.Peaked})", block["model"]);
        Assert.StartsWith("3 layers, hidden 64, 4 heads (2 K/V), 16 experts (top 4), vocabulary ", block["shape"]);
        Assert.EndsWith(" parameters", block["shape"]);
        Assert.Equal("cpu", block["device"]);
        Assert.Equal("float32", block["dtype"]);
        Assert.Matches(@"^1 intra-op \(of \d+ CPUs this process may use\), OpenMP wait PASSIVE \((set by Dllm|from OMP_WAIT_POLICY)\)$", block["threads"]);
        Assert.True(File.Exists(Path.Combine(block["libtorch"], "libtorch_cpu.so")), block["libtorch"]);
        Assert.StartsWith("2.", block["torch"]);
        Assert.Equal("LowConfidence, block 32", block["algorithm"]);
        Assert.Equal("256 tokens per request", block["context"]);
        Assert.Equal("2 running at most, 1024 waiting", block["requests"]);
        // The backend report is a block too (its first line names the runtime).
        int backend = lines.FindIndex(l => l.Contains("[1000] TorchSharp backend loaded:", StringComparison.Ordinal));
        Assert.True(backend >= 0 && lines[backend + 1].StartsWith("    runtime:", StringComparison.Ordinal), serve.Output);
    }

    private static async Task<JsonElement> GetInfoAsync(HttpClient client, ExternalProcess serve)
    {
        while (true)
        {
            Assert.False(serve.HasExited, serve.Output);
            try
            {
                return await (await client.GetAsync("/get_server_info")).JsonAsync();
            }
            catch (HttpRequestException)
            {
                await Task.Delay(200); // not listening yet
            }
        }
    }

    /// <summary>The Dllm:Server configuration section (here from the environment) sets the options; a value that cannot work exits 2 naming the key.</summary>
    [Fact]
    public async Task Server_options_come_from_the_Dllm_Server_section_and_a_bad_value_names_the_key()
    {
        int port = FreePort();
        var configured = new Dictionary<string, string?>(Environment) { ["Dllm__Server__MaxPromptsPerRequest"] = "3", ["Dllm__Server__DrainTimeout"] = "00:00:02" };
        using var serve = ExternalProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "dllm.dll"), "serve", "--model-path", TinyModels.Peaked,
            "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--device", "cpu", "--max-request-body-bytes", "5000"], configured);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(1) };
        await WaitForHealthAsync(client, serve);
        var info = await (await client.GetAsync("/get_server_info")).JsonAsync();
        serve.Terminate();
        await serve.WaitForExitAsync(TimeSpan.FromSeconds(30));
        var zero = await DllmProcess.RunAsync(AppContext.BaseDirectory, new Dictionary<string, string?>(Environment) { ["Dllm__Server__HealthGenerateTimeout"] = "00:00:00" },
            "serve", "--model-path", TinyModels.Peaked, "--port", "0", "--device", "cpu");
        var malformed = await DllmProcess.RunAsync(AppContext.BaseDirectory, new Dictionary<string, string?>(Environment) { ["Dllm__Server__DrainTimeout"] = "soon" },
            "serve", "--model-path", TinyModels.Peaked, "--port", "0", "--device", "cpu");

        Assert.Equal(3, info.GetProperty("max_prompts_per_request").GetInt32());
        Assert.Equal(2, info.GetProperty("drain_timeout").GetDouble());
        Assert.Equal(5000, info.GetProperty("max_request_body_bytes").GetInt64()); // a flag wins over the default
        Assert.True(zero.ExitCode == 2, zero.All);
        Assert.Contains("dllm serve: configuration: Dllm:Server:HealthGenerateTimeout must be above 0", zero.StandardError);
        Assert.True(malformed.ExitCode == 2, malformed.All);
        Assert.Contains("dllm serve: configuration: ", malformed.StandardError);
        Assert.Contains("Dllm:Server:DrainTimeout", malformed.StandardError);
        Assert.DoesNotContain("   at ", zero.All + malformed.All);
        Assert.DoesNotContain("Loading model", zero.All + malformed.All);
    }

    [Theory]
    [InlineData("inclusionAI/LLaDA2.0-mini", "is not a local directory", "no model hub")]
    [InlineData("/no/such/dir", "is not a local directory", "config.json")]
    public async Task A_model_path_that_is_not_a_local_directory_is_a_clear_error(string path, string first, string second)
    {
        using var serve = StartServe("--model-path", path, "--port", "0");
        int exit = await serve.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, exit);
        Assert.Contains(first, serve.Output);
        Assert.Contains(second, serve.Output);
    }

    [Fact]
    public async Task A_model_that_fails_to_load_stops_the_server_with_exit_code_1()
    {
        string empty = Directory.CreateTempSubdirectory("dllm-empty-model-").FullName;
        try
        {
            using var serve = StartServe("--model-path", empty, "--port", "0", "--device", "cpu");
            int exit = await serve.WaitForExitAsync(TimeSpan.FromMinutes(1));

            Assert.Equal(1, exit);
            Assert.Contains("The model failed to load", serve.Output);
            Assert.Contains("tokenizer", serve.Output);
            Assert.DoesNotContain("   at ", serve.Output);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [Fact]
    public async Task An_unknown_algorithm_and_a_bad_config_are_clear_errors()
    {
        string config = Path.Combine(Path.GetTempPath(), $"dllm-bad-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(config, "threshold: 2.5\n");
        try
        {
            using var algorithm = StartServe("--dllm-algorithm", "Nope", "--model-path", TinyModels.Peaked);
            using var badConfig = StartServe("--dllm-algorithm-config", config, "--model-path", TinyModels.Peaked);

            Assert.Equal(2, await algorithm.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(2, await badConfig.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains("LowConfidence, JointThreshold", algorithm.Output);
            Assert.Contains("threshold", badConfig.Output);
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Theory]
    [InlineData("--max-running-requests 0", "--max-running-requests must be at least 1 (got 0).")]
    [InlineData("--context-length 0", "--context-length must be at least two blocks (64 tokens with block size 32) (got 0).")]
    [InlineData("--context-length 40", "--context-length must be at least two blocks (64 tokens with block size 32) (got 40).")]
    [InlineData("--context-length 999999 --model-path PEAKED", "max_position_embeddings")]
    [InlineData("--dtype int8", "--dtype 'int8'")]
    [InlineData("--device gpu", "--device 'gpu'")]
    [InlineData("--load-format pickle", "--load-format 'pickle'")]
    [InlineData("--gpus 0", "--gpus must be at least 1 (got 0).")]
    [InlineData("--device-map 0-15", "--device-map: '0-15'")]
    [InlineData("--device-map 0-15:tpu", "--device-map: '0-15:tpu'")]
    [InlineData("--dllm-algorithm Nope", "--dllm-algorithm 'Nope'")]
    [InlineData("--dllm-algorithm-config /no/such/config.yaml", "/no/such/config.yaml")]
    [InlineData("--model-path /no/such/dir", "--model-path '/no/such/dir'")]
    [InlineData("--libtorch-dir /no/such/libtorch", "--libtorch-dir '/no/such/libtorch'")]
    [InlineData("--port 70000", "--port 70000")]
    [InlineData("--port abc", "--port")]
    [InlineData("--host example.com", "--host 'example.com'")]
    [InlineData("--no-such-flag", "--no-such-flag")]
    [InlineData("--drain-timeout -1", "--drain-timeout must be between 0 and 86400 s (a day), got -1 s.")]
    [InlineData("--drain-timeout soon", "--drain-timeout")]
    [InlineData("--health-check-timeout 0", "--health-check-timeout must be above 0")]
    [InlineData("--health-check-timeout 1e300", "--health-check-timeout must be above 0 and at most 86400 s (a day), got a value out of range.")]
    [InlineData("--cpu-threads 0", "--cpu-threads must be at least 1 (got 0).")]
    [InlineData("--log-level loud", "--log-level 'loud' is not one of: trace, debug, info")]
    [InlineData("--log-level 2", "--log-level '2'")]
    public async Task A_bad_command_line_exits_2_with_one_line_naming_the_flag(string flags, string expected)
    {
        string[] args = ["serve", .. flags.Replace("PEAKED", TinyModels.Peaked, StringComparison.Ordinal).Split(' ')];

        var result = await DllmProcess.RunAsync(AppContext.BaseDirectory, Environment, args);

        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.All}");
        Assert.Equal("", result.StandardOutput);
        string line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("dllm serve: ", line);
        Assert.Contains(expected, line);
        Assert.DoesNotContain("   at ", line);
    }

    [Fact]
    public async Task An_algorithm_config_with_an_invalid_value_or_malformed_yaml_names_the_file_and_the_key()
    {
        string invalid = Path.Combine(Path.GetTempPath(), $"dllm-invalid-{Guid.NewGuid():N}.yaml");
        string malformed = Path.Combine(Path.GetTempPath(), $"dllm-malformed-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(invalid, "threshold: 2.5\n");
        await File.WriteAllTextAsync(malformed, "threshold: [0.9\n");
        try
        {
            var bad = await DllmProcess.RunAsync(AppContext.BaseDirectory, Environment, "serve", "--dllm-algorithm-config", invalid);
            var broken = await DllmProcess.RunAsync(AppContext.BaseDirectory, Environment, "serve", "--dllm-algorithm-config", malformed);

            Assert.Equal(2, bad.ExitCode);
            Assert.Equal(2, broken.ExitCode);
            string badLine = Assert.Single(bad.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            string brokenLine = Assert.Single(broken.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains(invalid, badLine);
            Assert.Contains("threshold", badLine);
            Assert.Contains(malformed, brokenLine);
        }
        finally
        {
            File.Delete(invalid);
            File.Delete(malformed);
        }
    }

    [Fact]
    public async Task A_port_in_use_exits_1_with_one_line_before_any_model_load()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        int port = ((IPEndPoint)holder.LocalEndpoint).Port;
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var result = await DllmProcess.RunAsync(AppContext.BaseDirectory, Environment,
            "serve", "--model-path", TinyModels.Peaked, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(result.ExitCode == 1, $"exit {result.ExitCode}: {result.All}");
        Assert.Equal($"dllm serve: cannot listen on 127.0.0.1:{port}: address in use", result.StandardError.Trim());
        Assert.DoesNotContain("Loading model", result.All);
        // Process start included; the check itself takes milliseconds, a model load would take seconds.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_damaged_checkpoint_exits_1_with_one_log_line_and_no_stack_trace()
    {
        string damaged = Directory.CreateTempSubdirectory("dllm-damaged-model-").FullName;
        try
        {
            foreach (string file in Directory.EnumerateFiles(TinyModels.Peaked))
                File.Copy(file, Path.Combine(damaged, Path.GetFileName(file)));
            foreach (string weights in Directory.EnumerateFiles(damaged, "*.safetensors"))
            {
                await using var stream = File.Open(weights, FileMode.Open);
                stream.SetLength(1000);
            }

            var result = await DllmProcess.RunAsync(AppContext.BaseDirectory, Environment, "serve", "--model-path", damaged, "--port", "0", "--device", "cpu");

            Assert.True(result.ExitCode == 1, $"exit {result.ExitCode}: {result.All}");
            string failure = Assert.Single(result.All.Split('\n'), l => l.Contains("The model failed to load", StringComparison.Ordinal));
            Assert.Contains("safetensors", failure);
            Assert.DoesNotContain("   at ", result.All);
        }
        finally
        {
            Directory.Delete(damaged, recursive: true);
        }
    }

    [Fact]
    public async Task A_queue_limit_below_one_and_a_timeout_that_is_not_positive_are_clear_errors()
    {
        using var queue = StartServe("--max-queued-requests", "0", "--model-path", TinyModels.Peaked);
        using var timeout = StartServe("--request-timeout", "-2", "--model-path", TinyModels.Peaked);

        Assert.Equal(2, await queue.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(2, await timeout.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("--max-queued-requests must be at least 1 (got 0).", queue.Output);
        Assert.Contains("--request-timeout must be a number of seconds above 0", timeout.Output);
        Assert.DoesNotContain("   at ", queue.Output + timeout.Output);
    }
}
