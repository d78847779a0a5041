using System.Net.ServerSentEvents;
using System.Text.Json;
using Dllm.Server.Tests.Infrastructure;

namespace Dllm.Server.Tests.Endpoints;

/// <summary>Requests that end early: /abort_request, and clients that go away (their engine slots must free).</summary>
[Collection(ServerCollection.Name)]
public class AbortAndDisconnectTests
{
    private static async Task WaitUntilRunningAsync(DllmTestServer server)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (server.Engine.RunningRequests == 0 || server.Engine.DenoisingSteps < 3)
        {
            Assert.True(DateTime.UtcNow < deadline, "the request never started");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task Abort_request_ends_a_stream_with_finish_reason_abort_and_the_output_so_far()
    {
        await using var server = await RandomModelServer.StartAsync();
        using var response = await server.Client.PostStreamingAsync("/generate", RandomModelServer.Long("to-abort", stream: true));
        await using var stream = await response.Content.ReadAsStreamAsync();
        var events = SseParser.Create(stream).EnumerateAsync().GetAsyncEnumerator();
        Assert.True(await events.MoveNextAsync());
        var first = JsonDocument.Parse(events.Current.Data).RootElement.Clone();

        var abort = await server.Client.PostAsync("/abort_request", """{"rid": "to-abort"}""");
        var rest = new List<string>();
        while (await events.MoveNextAsync())
            rest.Add(events.Current.Data);

        Assert.Equal(System.Net.HttpStatusCode.OK, abort.StatusCode);
        var finals = ServerSentEvents.JsonUntilDone(rest);
        var reason = finals[^1].GetProperty("meta_info").GetProperty("finish_reason");
        Assert.Equal("abort", reason.GetProperty("type").GetString());
        Assert.Equal("aborted by /abort_request", reason.GetProperty("message").GetString());
        int tokens = finals[^1].GetProperty("meta_info").GetProperty("completion_tokens").GetInt32();
        Assert.InRange(tokens, first.GetProperty("output_ids").GetArrayLength(), 1799);
        Assert.StartsWith(first.GetProperty("text").GetString()!, finals[^1].GetProperty("text").GetString());
        await server.WaitUntilIdleAsync();
    }

    [Fact]
    public async Task Abort_request_ends_a_non_streamed_request_with_abort()
    {
        await using var server = await RandomModelServer.StartAsync();
        var pending = server.Client.PostAsync("/generate", RandomModelServer.Long("plain-abort", stream: false));
        await WaitUntilRunningAsync(server);

        await server.Client.PostAsync("/abort_request", """{"rid": "plain-abort"}""");
        var json = await (await pending).JsonAsync();

        var meta = json.GetProperty("meta_info");
        Assert.Equal("plain-abort", meta.GetProperty("id").GetString());
        Assert.Equal("abort", meta.GetProperty("finish_reason").GetProperty("type").GetString());
        Assert.True(meta.GetProperty("completion_tokens").GetInt32() < 1800);
        await server.WaitUntilIdleAsync();
    }

    [Fact]
    public async Task Abort_all_and_an_unknown_rid_are_accepted()
    {
        await using var server = await RandomModelServer.StartAsync();
        var pending = new[] { "all-1", "all-2" }.Select(rid => server.Client.PostAsync("/generate", RandomModelServer.Long(rid, stream: false))).ToList();
        await WaitUntilRunningAsync(server);

        var unknown = await server.Client.PostAsync("/abort_request", """{"rid": "nobody"}""");
        var all = await server.Client.PostAsync("/abort_request", """{"abort_all": true}""");

        Assert.Equal(System.Net.HttpStatusCode.OK, unknown.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, all.StatusCode);
        foreach (var response in await Task.WhenAll(pending))
            Assert.Equal("abort", (await response.JsonAsync()).GetProperty("meta_info").GetProperty("finish_reason").GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_stream_frees_its_slot()
    {
        await using var server = await RandomModelServer.StartAsync();
        // No draining of the rest of the response on dispose: the connection closes, as when a client process dies.
        using var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = server.BaseAddress };
        using (var cancel = new CancellationTokenSource())
        {
            var response = await client.PostStreamingAsync("/generate", RandomModelServer.Long("gone", stream: true), cancel.Token);
            var stream = await response.Content.ReadAsStreamAsync(cancel.Token);
            var events = SseParser.Create(stream).EnumerateAsync(cancel.Token).GetAsyncEnumerator(cancel.Token);
            Assert.True(await events.MoveNextAsync());
            Assert.Equal(1, server.Engine.RunningRequests);

            await cancel.CancelAsync();
            response.Dispose();
        }
        long stepsAtDisconnect = server.Engine.DenoisingSteps;

        await server.WaitUntilIdleAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, server.Engine.RunningRequests);
        Assert.True(server.Engine.DenoisingSteps < stepsAtDisconnect + 500, "the request kept running after the client left");
        var next = await (await server.Client.PostAsync("/generate", """{"text": "next", "rid": "gone", "sampling_params": {"max_new_tokens": 2}}""")).JsonAsync();
        Assert.Equal("gone", next.GetProperty("meta_info").GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_client_that_gives_up_on_a_plain_request_frees_its_slot()
    {
        await using var server = await RandomModelServer.StartAsync();
        using var client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromMilliseconds(500) };

        await Assert.ThrowsAnyAsync<TaskCanceledException>(() => client.PostAsync("/generate", RandomModelServer.Long("impatient", stream: false)));

        await server.WaitUntilIdleAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, server.Engine.RunningRequests);
    }
}
