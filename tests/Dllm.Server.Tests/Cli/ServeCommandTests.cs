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

        var answer = await (await client.PostAsync("/generate", SeedRequests.Single)).JsonAsync();
        var info = await (await client.GetAsync("/get_server_info")).JsonAsync();
        serve.Terminate();
        int exit = await serve.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.False(string.IsNullOrEmpty(answer.GetProperty("text").GetString()));
        Assert.Contains(answer.GetProperty("meta_info").GetProperty("finish_reason").GetProperty("type").GetString(), new[] { "stop", "length" });
        Assert.True(info.GetProperty("demo_model").GetBoolean());
        Assert.Equal("dllm-demo-tiny", info.GetProperty("served_model_name").GetString());
        Assert.Equal(port, info.GetProperty("port").GetInt32());
        Assert.Contains("DEMO model", serve.Output);
        Assert.Contains("RANDOM weights", serve.Output);
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
