using System.Text.Json;
using Dllm.Server.Tests.Infrastructure;

namespace Dllm.Server.Tests.Endpoints;

/// <summary><c>/v1/completions</c> and the raw shape of <c>/v1/chat/completions</c>.</summary>
[Collection(ServerCollection.Name)]
public class CompletionsTests(ServerFixture fixture)
{
    private DllmTestServer Server => fixture.Server;

    private async Task<JsonElement> GenerateAsync(string text, int max) =>
        await (await Server.Client.PostAsync("/generate", JsonSerializer.Serialize(new { text, sampling_params = new { max_new_tokens = max } }))).JsonAsync();

    [Fact]
    public async Task Completions_answer_each_prompt_in_order_like_generate()
    {
        var json = await (await Server.Client.PostAsync("/v1/completions", """{"model": "m", "prompt": ["Once upon", "In a galaxy far"], "max_tokens": 12}""")).JsonAsync();

        Assert.Equal("text_completion", json.GetProperty("object").GetString());
        var choices = json.GetProperty("choices").EnumerateArray().ToList();
        Assert.Equal([0, 1], choices.Select(c => c.GetProperty("index").GetInt32()));
        Assert.Equal((await GenerateAsync("Once upon", 12)).GetProperty("text").GetString(), choices[0].GetProperty("text").GetString());
        Assert.Equal((await GenerateAsync("In a galaxy far", 12)).GetProperty("text").GetString(), choices[1].GetProperty("text").GetString());
        var usage = json.GetProperty("usage");
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + usage.GetProperty("completion_tokens").GetInt32(), usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task Completions_default_to_sixteen_tokens()
    {
        var json = await (await Server.Client.PostAsync("/v1/completions", """{"prompt": [5, 6, 7], "ignore_eos": true}""")).JsonAsync();

        Assert.Equal(16, json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal("length", json.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task A_streamed_completion_adds_up_to_the_whole_one_and_ends_with_usage_and_done()
    {
        var whole = await (await Server.Client.PostAsync("/v1/completions", """{"prompt": "Streaming", "max_tokens": 90, "ignore_eos": true}""")).JsonAsync();
        using var response = await Server.Client.PostStreamingAsync("/v1/completions", """{"prompt": "Streaming", "max_tokens": 90, "ignore_eos": true, "stream": true, "stream_options": {"include_usage": true}}""");
        var events = ServerSentEvents.JsonUntilDone(await ServerSentEvents.ReadAllAsync(response));

        var chunks = events.SkipLast(1).ToList();
        Assert.Equal(whole.GetProperty("choices")[0].GetProperty("text").GetString(), string.Concat(chunks.Select(c => c.GetProperty("choices")[0].GetProperty("text").GetString())));
        Assert.True(chunks.Count >= 3);
        Assert.Equal("length", chunks[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(0, events[^1].GetProperty("choices").GetArrayLength());
        Assert.Equal(90, events[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task A_raw_chat_completion_has_the_openai_shape()
    {
        var json = await (await Server.Client.PostAsync("/v1/chat/completions",
            """{"model": "m", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": [{"type": "text", "text": "Hello"}]}], "max_completion_tokens": 8, "max_tokens": 100}""")).JsonAsync();

        Assert.Equal("chat.completion", json.GetProperty("object").GetString());
        var choice = json.GetProperty("choices")[0];
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal(JsonValueKind.String, choice.GetProperty("message").GetProperty("content").ValueKind);
        Assert.False(choice.GetProperty("message").TryGetProperty("tool_calls", out _));
        Assert.Contains(choice.GetProperty("finish_reason").GetString(), new[] { "stop", "length" });
        Assert.True(json.GetProperty("usage").GetProperty("completion_tokens").GetInt32() <= 8);
    }

    [Fact]
    public async Task A_raw_tool_call_answer_has_the_calls_and_the_text_without_the_tags()
    {
        var json = await (await Server.Client.PostAsync("/v1/chat/completions",
            """{"messages": [{"role": "user", "content": "weather?"}], "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]}""")).JsonAsync();

        var message = json.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal("Let me check.", message.GetProperty("content").GetString());
        var call = message.GetProperty("tool_calls")[0];
        Assert.Equal("function", call.GetProperty("type").GetString());
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("""{"city": "Paris"}""", call.GetProperty("function").GetProperty("arguments").GetString());
        Assert.Equal("tool_calls", json.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Tool_choice_none_leaves_the_tools_out_of_the_prompt()
    {
        var json = await (await Server.Client.PostAsync("/v1/chat/completions",
            """{"messages": [{"role": "user", "content": "weather?"}], "max_tokens": 4, "tool_choice": "none", "tools": [{"type": "function", "function": {"name": "get_weather"}}]}""")).JsonAsync();

        Assert.NotEqual("tool_calls", json.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }
}
