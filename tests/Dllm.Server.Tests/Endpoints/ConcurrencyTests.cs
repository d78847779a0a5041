using Dllm.Server.Tests.Infrastructure;

namespace Dllm.Server.Tests.Endpoints;

[Collection(ServerCollection.Name)]
public class ConcurrencyTests(ServerFixture fixture)
{
    private DllmTestServer Server => fixture.Server;

    [Fact]
    public async Task Two_hundred_concurrent_requests_all_get_their_own_answer()
    {
        var tasks = Enumerable.Range(0, 200).Select(async i =>
        {
            bool stream = i % 4 == 0;
            string body = $$$"""{"text": "request number {{{i}}}", "rid": "c-{{{i}}}", "stream": {{{(stream ? "true" : "false")}}}, "sampling_params": {"max_new_tokens": {{{1 + i % 7}}}, "ignore_eos": true}}""";
            using var response = await Server.Client.PostStreamingAsync("/generate", body);
            var final = stream
                ? ServerSentEvents.JsonUntilDone(await ServerSentEvents.ReadAllAsync(response))[^1]
                : await response.JsonAsync();
            return (i, final);
        }).ToList();

        var results = await Task.WhenAll(tasks);

        Assert.Equal(200, results.Length);
        foreach (var (i, final) in results)
        {
            var meta = final.GetProperty("meta_info");
            Assert.Equal($"c-{i}", meta.GetProperty("id").GetString());
            Assert.Equal(1 + i % 7, meta.GetProperty("completion_tokens").GetInt32());
            Assert.Equal("length", meta.GetProperty("finish_reason").GetProperty("type").GetString());
            Assert.Equal(Server.Engine.Tokenizer.Encode($"request number {i}").Length, meta.GetProperty("prompt_tokens").GetInt32());
        }
        await Server.WaitUntilIdleAsync();
    }
}
