using System.Net;
using Dllm.Server.Tests.Infrastructure;
using Dllm.Testing;

namespace Dllm.Server.Tests.Endpoints;

/// <summary>Backpressure and deadlines over HTTP: a full waiting queue is a 503 with <c>Retry-After</c> before anything
/// starts, a batch larger than the queue a 400, and <see cref="Hosting.DllmServerOptions.RequestTimeout"/> ends a request
/// with finish reason abort.</summary>
[Collection(ServerCollection.Name)]
public class QueueAndDeadlineTests
{
    private static Action<string, IReadOnlyList<string>> Slow(string id, TimeSpan delay) => (_, ids) =>
    {
        if (ids.Contains(id))
            Thread.Sleep(delay);
    };

    private static async Task WaitUntilAsync(DllmEngine engine, Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for the engine ({engine.RunningRequests} running, {engine.WaitingRequests} waiting)");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task A_full_queue_is_a_503_with_retry_after_and_a_batch_larger_than_the_queue_a_400()
    {
        await using var server = await DllmTestServer.StartAsync(TestEngines.Options(TinyModels.Random, maxRunningRequests: 1) with { ContextLength = 2048, MaxQueuedRequests = 2 });
        server.Engine.FaultInjection = Slow("busy", TimeSpan.FromMilliseconds(20));
        using var busy = await server.Client.PostStreamingAsync("/generate", RandomModelServer.Long("busy", stream: true));
        await WaitUntilAsync(server.Engine, () => server.Engine.RunningRequests == 1);

        var tooMany = await (await server.Client.PostAsync("/generate", """{"text": ["a", "b", "c"], "sampling_params": {"max_new_tokens": 2}}""")).ErrorAsync(HttpStatusCode.BadRequest);
        // A stream's headers come with its first block, so this call returns only once the slot frees.
        var waiting = server.Client.PostStreamingAsync("/generate", """{"text": ["a", "b"], "stream": true, "sampling_params": {"max_new_tokens": 2}}""");
        await WaitUntilAsync(server.Engine, () => server.Engine.WaitingRequests == 2);
        using var refused = await server.Client.PostAsync("/generate", """{"text": "one more", "sampling_params": {"max_new_tokens": 2}}""");
        var full = await refused.ErrorAsync(HttpStatusCode.ServiceUnavailable);
        using var chat = await server.Client.PostAsync("/v1/chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}""");
        using var aborted = await server.Client.PostAsync("/abort_request", """{"abort_all": true}""");
        await ServerSentEvents.ReadAllAsync(busy);
        using (var waited = await waiting)
            await ServerSentEvents.ReadAllAsync(waited);

        Assert.Equal(HttpStatusCode.OK, aborted.StatusCode);
        Assert.Contains("3 prompts, more than the server's waiting queue holds (2", tooMany.GetProperty("message").GetString());
        Assert.Equal("1", refused.Headers.RetryAfter?.ToString());
        Assert.Equal("service_unavailable", full.GetProperty("type").GetString());
        Assert.Equal("queue_full", full.GetProperty("code").GetString());
        Assert.StartsWith("the server's waiting queue is full (2 requests", full.GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, chat.StatusCode);
        Assert.Equal("1", chat.Headers.RetryAfter?.ToString());
        await server.WaitUntilIdleAsync();
    }

    [Fact]
    public async Task The_server_request_timeout_ends_a_request_with_abort_and_its_output_so_far()
    {
        await using var server = await DllmTestServer.StartAsync(TestEngines.Options(TinyModels.Random, maxRunningRequests: 2) with { ContextLength = 2048 },
            options => options.RequestTimeout = TimeSpan.FromSeconds(2));
        server.Engine.FaultInjection = Slow("slow", TimeSpan.FromMilliseconds(10));

        var late = await (await server.Client.PostAsync("/generate", RandomModelServer.Long("slow", stream: false))).JsonAsync();
        var quick = await (await server.Client.PostAsync("/generate", """{"text": "quick", "sampling_params": {"max_new_tokens": 3, "ignore_eos": true}}""")).JsonAsync();
        var info = await (await server.Client.GetAsync("/get_server_info")).JsonAsync();

        var finish = late.GetProperty("meta_info").GetProperty("finish_reason");
        Assert.Equal("abort", finish.GetProperty("type").GetString());
        Assert.Equal("deadline of 2 s exceeded", finish.GetProperty("message").GetString());
        Assert.InRange(late.GetProperty("meta_info").GetProperty("completion_tokens").GetInt32(), 0, 1799);
        Assert.Equal("length", quick.GetProperty("meta_info").GetProperty("finish_reason").GetProperty("type").GetString());
        Assert.Equal(2, info.GetProperty("request_timeout").GetDouble());
        Assert.Equal(1024, info.GetProperty("max_queued_requests").GetInt32());
        await server.WaitUntilIdleAsync();
    }
}
