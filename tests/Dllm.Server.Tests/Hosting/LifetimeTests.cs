using System.Net;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Dllm.Hosting;
using Dllm.Server.Hosting;
using Dllm.Server.Tests.Infrastructure;
using Dllm.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Dllm.Server.Tests.Hosting;

/// <summary>The hosted service: 503 while loading and after a failed load, ready after, drain and stop at shutdown, one shared engine.</summary>
[Collection(ServerCollection.Name)]
public class LifetimeTests
{
    [Fact]
    public async Task While_the_model_loads_health_and_generate_are_503_then_200()
    {
        // The model directory's tokenizer.json is a FIFO: loading blocks on it until the test writes the file.
        string directory = Path.Combine(Path.GetTempPath(), $"dllm-loading-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        foreach (string file in Directory.EnumerateFiles(TinyModels.Peaked).Where(f => Path.GetFileName(f) != "tokenizer.json"))
            File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
        string tokenizer = Path.Combine(directory, "tokenizer.json");
        using (var mkfifo = ExternalProcess.Start("mkfifo", [tokenizer]))
            Assert.Equal(0, await mkfifo.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        try
        {
            await using var server = await DllmTestServer.StartAsync(TestEngines.Options(directory), waitUntilReady: false);

            var health = await server.Client.GetAsync("/health");
            var generate = await server.Client.PostAsync("/generate", """{"text": "early"}""");
            var models = await server.Client.GetAsync("/v1/models");
            var info = await (await server.Client.GetAsync("/get_server_info")).JsonAsync();

            Assert.Contains("loading", (await health.ErrorAsync(HttpStatusCode.ServiceUnavailable)).GetProperty("message").GetString());
            Assert.Equal("service_unavailable", (await generate.ErrorAsync(HttpStatusCode.ServiceUnavailable)).GetProperty("type").GetString());
            Assert.Equal(HttpStatusCode.ServiceUnavailable, models.StatusCode);
            Assert.Equal("loading", info.GetProperty("status").GetString());
            Assert.Equal(DllmServerStatus.Loading, server.State.Status);

            await File.WriteAllBytesAsync(tokenizer, await File.ReadAllBytesAsync(Path.Combine(TinyModels.Peaked, "tokenizer.json")));
            await server.WaitUntilReadyAsync();

            Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/health")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await server.Client.PostAsync("/generate", """{"text": "late", "sampling_params": {"max_new_tokens": 2}}""")).StatusCode);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_failed_load_is_reported_and_every_generation_route_is_503()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"dllm-missing-{Guid.NewGuid():N}");
        await using var server = await DllmTestServer.StartAsync(TestEngines.Options(missing), o => o.StopApplicationOnLoadFailure = false, waitUntilReady: false);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (server.State.Status == DllmServerStatus.Loading && DateTime.UtcNow < deadline)
            await Task.Delay(20);

        var health = await server.Client.GetAsync("/health");
        var chat = await server.Client.PostAsync("/v1/chat/completions", """{"messages": [{"role": "user", "content": "hi"}]}""");

        Assert.Equal(DllmServerStatus.Failed, server.State.Status);
        Assert.Contains("failed to load", (await health.ErrorAsync(HttpStatusCode.ServiceUnavailable)).GetProperty("message").GetString());
        string message = (await chat.ErrorAsync(HttpStatusCode.ServiceUnavailable)).GetProperty("message").GetString()!;
        Assert.Equal("the model failed to load; the server log has the details.", message);
        Assert.DoesNotContain(missing, message); // the path stays in the log and the health check's description
    }

    [Fact]
    public async Task Shutdown_aborts_what_outlives_the_drain_time_and_disposes_the_engine()
    {
        var server = await RandomModelServer.StartAsync(o => o.DrainTimeout = TimeSpan.FromMilliseconds(300));
        var engine = server.Engine;
        using var response = await server.Client.PostStreamingAsync("/generate", RandomModelServer.Long("at-shutdown", stream: true));
        await using var stream = await response.Content.ReadAsStreamAsync();
        var events = SseParser.Create(stream).EnumerateAsync().GetAsyncEnumerator();
        Assert.True(await events.MoveNextAsync());

        var stopping = server.StopAsync();
        var rest = new List<string>();
        while (await events.MoveNextAsync())
            rest.Add(events.Current.Data);
        await stopping;

        var last = ServerSentEvents.JsonUntilDone(rest)[^1].GetProperty("meta_info").GetProperty("finish_reason");
        Assert.Equal("abort", last.GetProperty("type").GetString());
        Assert.Equal("the server is shutting down", last.GetProperty("message").GetString());
        Assert.Equal(DllmServerStatus.Stopped, server.State.Status);
        Assert.Throws<ObjectDisposedException>(() => engine.Prepare(GenerateRequest.FromText("after")));
        await server.DisposeAsync();
    }

    [Fact]
    public async Task While_draining_new_requests_and_health_get_503_with_retry_after_and_the_running_stream_completes()
    {
        var server = await RandomModelServer.StartAsync(o => o.DrainTimeout = TimeSpan.FromSeconds(60));
        using var response = await server.Client.PostStreamingAsync("/generate",
            """{"text": "drain", "stream": true, "sampling_params": {"max_new_tokens": 1200, "ignore_eos": true}}""");
        await using var stream = await response.Content.ReadAsStreamAsync();
        var events = SseParser.Create(stream).EnumerateAsync().GetAsyncEnumerator();
        Assert.True(await events.MoveNextAsync());

        var stopping = server.StopAsync();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (server.State.Status != DllmServerStatus.Stopping && DateTime.UtcNow < deadline)
            await Task.Delay(5);
        // The streaming connection is busy, so these open new connections: the web server still accepts them.
        var generate = await server.Client.PostAsync("/generate", """{"text": "too late"}""");
        var health = await server.Client.GetAsync("/health");
        var rest = new List<string>();
        while (await events.MoveNextAsync())
            rest.Add(events.Current.Data);
        await stopping;

        var error = await generate.ErrorAsync(HttpStatusCode.ServiceUnavailable);
        Assert.Equal("service_unavailable", error.GetProperty("type").GetString());
        Assert.Contains("shutting down", error.GetProperty("message").GetString());
        Assert.Equal(TimeSpan.FromSeconds(60), generate.Headers.RetryAfter?.Delta);
        Assert.Contains("shutting down", (await health.ErrorAsync(HttpStatusCode.ServiceUnavailable)).GetProperty("message").GetString());
        Assert.NotNull(health.Headers.RetryAfter);
        var meta = ServerSentEvents.JsonUntilDone(rest)[^1].GetProperty("meta_info");
        Assert.Equal("length", meta.GetProperty("finish_reason").GetProperty("type").GetString());
        Assert.Equal(1200, meta.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(DllmServerStatus.Stopped, server.State.Status);
        await server.DisposeAsync();
    }

    [Fact]
    public async Task The_host_shutdown_timeout_is_lengthened_to_cover_the_drain()
    {
        await using var server = await DllmTestServer.StartAsync(TestEngines.Options(TinyModels.Peaked), o => o.DrainTimeout = TimeSpan.FromSeconds(100));

        var host = server.Services.GetRequiredService<IOptions<HostOptions>>().Value;

        Assert.True(host.ShutdownTimeout >= TimeSpan.FromSeconds(105), $"ShutdownTimeout {host.ShutdownTimeout}");
    }

    [Fact]
    public async Task A_request_that_ends_within_the_drain_time_completes_normally()
    {
        var server = await RandomModelServer.StartAsync(o => o.DrainTimeout = TimeSpan.FromSeconds(30));
        var pending = server.Client.PostAsync("/generate", """{"text": "short", "sampling_params": {"max_new_tokens": 60, "ignore_eos": true}}""");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (server.Tracker.Count == 0 && DateTime.UtcNow < deadline)
            await Task.Delay(5);

        await server.StopAsync();
        var json = await (await pending).JsonAsync();

        Assert.Equal("length", json.GetProperty("meta_info").GetProperty("finish_reason").GetProperty("type").GetString());
        Assert.Equal(60, json.GetProperty("meta_info").GetProperty("completion_tokens").GetInt32());
        await server.DisposeAsync();
    }

    [Fact]
    public async Task The_first_engine_registration_wins_so_a_chat_client_and_the_server_share_one_engine()
    {
        await using var server = await DllmTestServer.StartAsync(
            TestEngines.Options(TinyModels.Random),
            services: s => s.AddDllmEngine(_ => TestEngines.Options(TinyModels.Peaked)));

        var info = await (await server.Client.GetAsync("/get_model_info")).JsonAsync();

        Assert.Equal(Path.GetFullPath(TinyModels.Peaked), info.GetProperty("model_path").GetString());
        Assert.Same(await server.Services.GetRequiredService<DllmEngineProvider>().GetEngineAsync(), server.Engine);
    }
}
