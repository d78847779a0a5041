using System.Net;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Dllm.Server.Tests.Infrastructure;

namespace Dllm.Server.Tests.Endpoints;

/// <summary>One bad request never hurts another: a request that fails validation gets its 400, one whose step fails in the
/// engine gets its own 500 (no stack trace, no exception text), and the streams running beside it finish with the output
/// they give alone.</summary>
[Collection(ServerCollection.Name)]
public class FailureIsolationTests(ServerFixture fixture)
{
    private const int Tokens = 300;

    private DllmTestServer Server => fixture.Server;

    private static string Bystander(int i, bool stream) =>
        $$$"""{"text": "bystander number {{{i}}} tells a story", "stream": {{{(stream ? "true" : "false")}}}, "sampling_params": {"max_new_tokens": {{{Tokens}}}, "ignore_eos": true}}""";

    /// <summary>Starts three streams and returns once each has sent its first event (so all three are running).</summary>
    private async Task<List<Task<List<JsonElement>>>> StartBystandersAsync()
    {
        var streams = new List<Task<List<JsonElement>>>();
        for (int i = 0; i < 3; i++)
        {
            var first = new TaskCompletionSource();
            streams.Add(ReadStreamAsync(await Server.Client.PostStreamingAsync("/generate", Bystander(i, stream: true)), first));
            await first.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        return streams;
    }

    private static async Task<List<JsonElement>> ReadStreamAsync(HttpResponseMessage response, TaskCompletionSource first)
    {
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await using var body = await response.Content.ReadAsStreamAsync();
            var events = new List<string>();
            await foreach (var item in SseParser.Create(body).EnumerateAsync())
            {
                events.Add(item.Data);
                first.TrySetResult();
            }
            return ServerSentEvents.JsonUntilDone(events);
        }
    }

    private async Task<List<int[]>> AloneAsync()
    {
        var alone = new List<int[]>();
        for (int i = 0; i < 3; i++)
            alone.Add((await (await Server.Client.PostAsync("/generate", Bystander(i, stream: false))).JsonAsync()).GetProperty("output_ids").Ids());
        return alone;
    }

    private static void AssertFullOutput(List<int[]> alone, List<JsonElement>[] streams)
    {
        for (int i = 0; i < 3; i++)
        {
            var last = streams[i][^1];
            Assert.Equal("length", last.GetProperty("meta_info").GetProperty("finish_reason").GetProperty("type").GetString());
            Assert.Equal(Tokens, last.GetProperty("meta_info").GetProperty("completion_tokens").GetInt32());
            Assert.Equal(alone[i], last.GetProperty("output_ids").Ids());
        }
    }

    [Fact]
    public async Task The_poison_request_is_a_400_and_three_running_streams_finish_with_their_full_output()
    {
        var alone = await AloneAsync();
        var streams = await StartBystandersAsync();

        var error = await (await Server.Client.PostAsync("/generate", """{"text":"a","sampling_params":{"temperature":1e39,"max_new_tokens":8}}""")).ErrorAsync(HttpStatusCode.BadRequest);

        Assert.Equal("sampling_params.temperature", error.GetProperty("param").GetString());
        AssertFullOutput(alone, await Task.WhenAll(streams));
        await Server.WaitUntilIdleAsync();
    }

    [Fact]
    public async Task A_request_whose_step_fails_gets_its_own_500_and_three_running_streams_finish_with_their_full_output()
    {
        var alone = await AloneAsync();
        const string secret = "gather(): index -1 is out of bounds at /build/libtorch/aten/src/ATen/native/TensorAdvancedIndexing.cpp:1234";
        int poisonSteps = 0, batchedFailures = 0;
        Server.Engine.FaultInjection = (kind, ids) =>
        {
            if (kind == "step" && ids.Contains("http-poison") && ++poisonSteps >= 2)
            {
                batchedFailures += ids.Count > 1 ? 1 : 0;
                throw new InvalidOperationException(secret);
            }
        };
        try
        {
            var streams = await StartBystandersAsync();

            var response = await Server.Client.PostAsync("/generate", $$$"""{"text": "poisoned", "rid": "http-poison", "sampling_params": {"max_new_tokens": {{{Tokens}}}, "ignore_eos": true}}""");
            string body = await response.Content.ReadAsStringAsync();
            var error = await response.ErrorAsync(HttpStatusCode.InternalServerError);

            Assert.Equal(1, batchedFailures); // it failed inside the batch with the streams, then alone
            Assert.Equal("server_error", error.GetProperty("type").GetString());
            Assert.Equal("the engine failed while generating request http-poison; the server log has the details.", error.GetProperty("message").GetString());
            Assert.DoesNotContain("libtorch", body);
            Assert.DoesNotContain("gather", body);
            Assert.DoesNotContain(" at ", body);
            AssertFullOutput(alone, await Task.WhenAll(streams));
        }
        finally
        {
            Server.Engine.FaultInjection = null;
        }
        await Server.WaitUntilIdleAsync();
    }
}
