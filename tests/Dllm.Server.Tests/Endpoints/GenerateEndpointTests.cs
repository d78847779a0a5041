using System.Net;
using System.Text.Json;
using Dllm.Server.Tests.Infrastructure;

namespace Dllm.Server.Tests.Endpoints;

[Collection(ServerCollection.Name)]
public class GenerateEndpointTests(ServerFixture fixture)
{
    private const string Prompt = "The capital of France is";

    private DllmTestServer Server => fixture.Server;

    [Fact]
    public async Task A_text_prompt_returns_text_ids_and_meta_info()
    {
        var json = await (await Server.Client.PostAsync("/generate",
            $$$"""{"text": "{{{Prompt}}}", "rid": "single-1", "sampling_params": {"max_new_tokens": 20, "ignore_eos": true}}""")).JsonAsync();

        var ids = json.GetProperty("output_ids").Ids();
        var meta = json.GetProperty("meta_info");
        Assert.Equal(20, ids.Length);
        Assert.Equal(Server.Engine.Tokenizer.Decode(ids, skipSpecialTokens: true), json.GetProperty("text").GetString());
        Assert.Equal("single-1", meta.GetProperty("id").GetString());
        Assert.Equal("length", meta.GetProperty("finish_reason").GetProperty("type").GetString());
        Assert.Equal(20, meta.GetProperty("finish_reason").GetProperty("length").GetInt32());
        Assert.Equal(Server.Engine.Tokenizer.Encode(Prompt).Length, meta.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(20, meta.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(0, meta.GetProperty("cached_tokens").GetInt32());
        Assert.True(meta.GetProperty("e2e_latency").GetDouble() > 0);
        Assert.True(meta.GetProperty("denoising_steps").GetInt32() >= 1);
    }

    [Fact]
    public async Task A_prompt_sent_again_reports_its_whole_blocks_as_cached_tokens_and_server_info_counts_the_hit()
    {
        var random = new Random(2024);
        int[] promptIds = [.. Enumerable.Range(0, 75).Select(_ => random.Next(100, 1500))]; // two whole blocks and 11
        string body = $$$"""{"input_ids": {{{JsonSerializer.Serialize(promptIds)}}}, "sampling_params": {"max_new_tokens": 8, "ignore_eos": true}}""";

        var first = await (await Server.Client.PostAsync("/generate", body)).JsonAsync();
        var second = await (await Server.Client.PostAsync("/generate", body)).JsonAsync();
        var info = await (await Server.Client.GetAsync("/get_server_info")).JsonAsync();

        Assert.Equal(0, first.GetProperty("meta_info").GetProperty("cached_tokens").GetInt32());
        Assert.Equal(64, second.GetProperty("meta_info").GetProperty("cached_tokens").GetInt32());
        Assert.Equal(first.GetProperty("output_ids").Ids(), second.GetProperty("output_ids").Ids());
        var kv = info.GetProperty("kv_cache");
        Assert.True(kv.GetProperty("prefix_cache").GetBoolean());
        Assert.True(kv.GetProperty("cache_hit_requests").GetInt64() >= 1);
        Assert.True(kv.GetProperty("cached_tokens").GetInt64() >= 64);
        Assert.True(kv.GetProperty("pages_cached").GetInt32() >= 2);
    }

    [Fact]
    public async Task Input_ids_give_the_same_output_as_their_text()
    {
        int[] promptIds = Server.Engine.Tokenizer.Encode(Prompt);
        var byText = await (await Server.Client.PostAsync("/generate", $$$"""{"text": "{{{Prompt}}}", "sampling_params": {"max_new_tokens": 24, "ignore_eos": true}}""")).JsonAsync();
        var byIds = await (await Server.Client.PostAsync("/generate", $$$"""{"input_ids": {{{JsonSerializer.Serialize(promptIds)}}}, "sampling_params": {"max_new_tokens": 24, "ignore_eos": true}}""")).JsonAsync();

        Assert.Equal(byText.GetProperty("output_ids").Ids(), byIds.GetProperty("output_ids").Ids());
        Assert.Equal(byText.GetProperty("text").GetString(), byIds.GetProperty("text").GetString());
        Assert.Equal(promptIds.Length, byIds.GetProperty("meta_info").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task A_text_list_returns_a_list_in_input_order()
    {
        var json = await (await Server.Client.PostAsync("/generate", """
            {"text": ["first prompt", "the second, longer prompt of the batch", "third"],
             "rid": ["b-0", "b-1", "b-2"],
             "sampling_params": [{"max_new_tokens": 5, "ignore_eos": true}, {"max_new_tokens": 40, "ignore_eos": true}, {"max_new_tokens": 12, "ignore_eos": true}]}
            """)).JsonAsync();

        var results = json.EnumerateArray().ToList();
        Assert.Equal(3, results.Count);
        Assert.Equal(["b-0", "b-1", "b-2"], results.Select(r => r.GetProperty("meta_info").GetProperty("id").GetString()));
        Assert.Equal([5, 40, 12], results.Select(r => r.GetProperty("output_ids").GetArrayLength()));
        Assert.All(results, r => Assert.False(r.TryGetProperty("index", out _)));
    }

    [Fact]
    public async Task An_input_ids_batch_with_one_sampling_object_returns_a_list_in_order()
    {
        var json = await (await Server.Client.PostAsync("/generate",
            """{"input_ids": [[10, 11, 12], [20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53]], "sampling_params": {"max_new_tokens": 7, "ignore_eos": true}}""")).JsonAsync();

        var results = json.EnumerateArray().ToList();
        Assert.Equal([3, 34], results.Select(r => r.GetProperty("meta_info").GetProperty("prompt_tokens").GetInt32()));
        Assert.All(results, r => Assert.Equal(7, r.GetProperty("meta_info").GetProperty("completion_tokens").GetInt32()));
    }

    [Fact]
    public async Task A_stream_has_one_cumulative_event_per_resolved_block_then_done()
    {
        const int max = 70;
        string body = $$$"""{"text": "{{{Prompt}}}", "stream": true, "sampling_params": {"max_new_tokens": {{{max}}}, "ignore_eos": true}}""";
        var whole = await (await Server.Client.PostAsync("/generate", body.Replace("\"stream\": true", "\"stream\": false"))).JsonAsync();
        using var response = await Server.Client.PostStreamingAsync("/generate", body);
        var events = ServerSentEvents.JsonUntilDone(await ServerSentEvents.ReadAllAsync(response));

        int promptLength = Server.Engine.Tokenizer.Encode(Prompt).Length;
        int firstBlock = 32 - promptLength % 32;
        var counts = events.Select(e => e.GetProperty("output_ids").GetArrayLength()).ToList();
        var expected = Enumerable.Range(0, 10).Select(i => Math.Min(firstBlock + 32 * i, max)).Distinct().TakeWhile(c => c <= max).ToList();
        Assert.Equal(expected, counts);
        for (int i = 1; i < events.Count; i++)
        {
            Assert.StartsWith(events[i - 1].GetProperty("text").GetString()!, events[i].GetProperty("text").GetString());
            Assert.Equal(events[i - 1].GetProperty("output_ids").Ids(), events[i].GetProperty("output_ids").Ids()[..counts[i - 1]]);
        }
        Assert.All(events.SkipLast(1), e => Assert.Equal(JsonValueKind.Null, e.GetProperty("meta_info").GetProperty("finish_reason").ValueKind));
        Assert.Equal("length", events[^1].GetProperty("meta_info").GetProperty("finish_reason").GetProperty("type").GetString());
        Assert.Equal(whole.GetProperty("output_ids").Ids(), events[^1].GetProperty("output_ids").Ids());
        Assert.Equal(whole.GetProperty("text").GetString(), events[^1].GetProperty("text").GetString());
        Assert.All(events, e => Assert.False(e.TryGetProperty("index", out _)));
    }

    [Fact]
    public async Task A_batch_stream_interleaves_events_with_their_index_and_ends_each_prompt_once()
    {
        using var response = await Server.Client.PostStreamingAsync("/generate",
            """{"text": ["one", "two two two"], "stream": true, "sampling_params": [{"max_new_tokens": 80, "ignore_eos": true}, {"max_new_tokens": 40, "ignore_eos": true}]}""");
        var events = ServerSentEvents.JsonUntilDone(await ServerSentEvents.ReadAllAsync(response));

        var byIndex = events.GroupBy(e => e.GetProperty("index").GetInt32()).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal([0, 1], byIndex.Keys.Order());
        foreach (var (index, list) in byIndex)
        {
            Assert.Single(list, e => e.GetProperty("meta_info").GetProperty("finish_reason").ValueKind != JsonValueKind.Null);
            Assert.NotEqual(JsonValueKind.Null, list[^1].GetProperty("meta_info").GetProperty("finish_reason").ValueKind);
            Assert.Equal(index == 0 ? 80 : 40, list[^1].GetProperty("meta_info").GetProperty("completion_tokens").GetInt32());
            var lengths = list.Select(e => e.GetProperty("output_ids").GetArrayLength()).ToList();
            Assert.Equal(lengths.Order(), lengths);
        }
    }

    [Fact]
    public async Task The_seed_requests_are_answered()
    {
        using var streamed = await Server.Client.PostStreamingAsync("/generate", SeedRequests.StreamingBatch);
        var events = ServerSentEvents.JsonUntilDone(await ServerSentEvents.ReadAllAsync(streamed));
        var single = await (await Server.Client.PostAsync("/generate", SeedRequests.Single)).JsonAsync();

        var finals = events.Where(e => e.GetProperty("meta_info").GetProperty("finish_reason").ValueKind != JsonValueKind.Null).ToList();
        Assert.Equal([0, 1], finals.Select(e => e.GetProperty("index").GetInt32()).Order());
        foreach (var final in finals)
        {
            var meta = final.GetProperty("meta_info");
            string type = meta.GetProperty("finish_reason").GetProperty("type").GetString()!;
            Assert.Contains(type, new[] { "stop", "length" });
            Assert.True(type == "stop" || meta.GetProperty("completion_tokens").GetInt32() == 1024);
            string prompt = final.GetProperty("index").GetInt32() == 0 ? SeedRequests.NumbersPrompt : SeedRequests.GreatWallPrompt;
            Assert.Equal(Server.Engine.Tokenizer.Encode(prompt).Length, meta.GetProperty("prompt_tokens").GetInt32());
        }
        var greatWall = finals.Single(e => e.GetProperty("index").GetInt32() == 1);
        Assert.Equal(greatWall.GetProperty("output_ids").Ids(), single.GetProperty("output_ids").Ids());
        Assert.Equal(greatWall.GetProperty("text").GetString(), single.GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_stop_string_ends_the_output_and_is_reported_as_matched()
    {
        var first = await (await Server.Client.PostAsync("/generate", $$$"""{"text": "{{{Prompt}}}", "sampling_params": {"max_new_tokens": 40, "ignore_eos": true}}""")).JsonAsync();
        string text = first.GetProperty("text").GetString()!;
        int at = Enumerable.Range(text.Length / 3, Math.Max(0, text.Length - text.Length / 3 - 1))
            .FirstOrDefault(i => char.IsAsciiLetterOrDigit(text[i]) && char.IsAsciiLetterOrDigit(text[i + 1]), -1);
        Assert.True(at >= 0, $"pick another prompt: the output '{text}' has no two ASCII letters in a row");
        string stop = text.Substring(at, 2);

        var json = await (await Server.Client.PostAsync("/generate",
            $$$"""{"text": "{{{Prompt}}}", "sampling_params": {"max_new_tokens": 40, "ignore_eos": true, "stop": {{{JsonSerializer.Serialize(stop)}}}}}""")).JsonAsync();

        var reason = json.GetProperty("meta_info").GetProperty("finish_reason");
        Assert.Equal("stop", reason.GetProperty("type").GetString());
        Assert.Equal(stop, reason.GetProperty("matched").GetString());
        Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)], json.GetProperty("text").GetString());
    }

    [Fact]
    public async Task Ignored_and_unsupported_sglang_sampling_fields_are_treated_as_documented()
    {
        var ignored = await Server.Client.PostAsync("/generate",
            """{"text": "x", "sampling_params": {"max_new_tokens": 3, "repetition_penalty": 1.1, "frequency_penalty": 0.5, "n": 1, "json_schema": null}, "return_logprob": false, "log_metrics": true}""");
        var constrained = await Server.Client.PostAsync("/generate", """{"text": "x", "sampling_params": {"regex": "[0-9]+"}}""");
        var samples = await Server.Client.PostAsync("/generate", """{"text": "x", "sampling_params": {"n": 2}}""");
        var logprobs = await Server.Client.PostAsync("/generate", """{"text": "x", "return_logprob": true}""");

        Assert.Equal(3, (await ignored.JsonAsync()).GetProperty("meta_info").GetProperty("completion_tokens").GetInt32());
        Assert.Equal("sampling_params.regex", (await constrained.ErrorAsync(HttpStatusCode.BadRequest)).GetProperty("param").GetString());
        Assert.Equal("sampling_params.n", (await samples.ErrorAsync(HttpStatusCode.BadRequest)).GetProperty("param").GetString());
        Assert.Equal("return_logprob", (await logprobs.ErrorAsync(HttpStatusCode.BadRequest)).GetProperty("param").GetString());
    }
}
