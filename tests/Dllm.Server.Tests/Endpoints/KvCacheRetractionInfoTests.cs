using System.Text.Json;
using Dllm.Server.Tests.Infrastructure;
using Dllm.Testing;

namespace Dllm.Server.Tests.Endpoints;

/// <summary><c>/get_server_info</c>'s <c>kv_cache.retractions</c> on a pool that concurrent requests outgrow.</summary>
public class KvCacheRetractionInfoTests
{
    [Fact]
    public async Task Requests_that_outgrow_a_four_page_pool_together_all_complete_and_server_info_counts_the_retractions()
    {
        // 20 + 100 tokens: 4 pages each, the whole pool; admitted by their first page, three run together and outgrow it.
        await using var server = await DllmTestServer.StartAsync(TestEngines.Options(TinyModels.Random) with { ContextLength = 192, MaxTotalTokens = 4 * 32 });
        var random = new Random(7);
        var bodies = Enumerable.Range(0, 3).Select(_ =>
            $$$"""{"input_ids": {{{JsonSerializer.Serialize(Enumerable.Range(0, 20).Select(_ => random.Next(100, 1500)))}}}, "sampling_params": {"max_new_tokens": 100, "ignore_eos": true}}""").ToList();

        var results = await Task.WhenAll(bodies.Select(async body => await (await server.Client.PostAsync("/generate", body)).JsonAsync()));
        var kv = (await (await server.Client.GetAsync("/get_server_info")).JsonAsync()).GetProperty("kv_cache");

        Assert.All(results, r => Assert.Equal(100, r.GetProperty("meta_info").GetProperty("completion_tokens").GetInt32()));
        Assert.True(kv.GetProperty("retractions").GetInt64() >= 1, kv.ToString());
        Assert.Equal(server.Engine.KvCacheStats.Retractions, kv.GetProperty("retractions").GetInt64());
        Assert.Equal(0, kv.GetProperty("pages_in_use").GetInt32());
    }
}
