using System.Text.Json;
using Dllm.Server.Tests.Infrastructure;
using Dllm.Testing;

namespace Dllm.Server.Tests.Endpoints;

/// <summary>
/// On the OpenAI routes a request aborted on purpose ends with an OpenAI finish reason (<c>stop</c>) and says why in
/// the choice's extra <c>abort_message</c>; never SGLang's <c>abort</c>, which OpenAI clients do not know.
/// </summary>
[Collection(ServerCollection.Name)]
public class OpenAiAbortTests
{
    public static TheoryData<string, bool> Routes => new()
    {
        { "/v1/chat/completions", false },
        { "/v1/chat/completions", true },
        { "/v1/completions", false },
        { "/v1/completions", true },
    };

    private static string Body(string path, string rid, bool stream) => path == "/v1/completions"
        ? $$"""{"prompt": "tell a story", "max_tokens": 500, "rid": "{{rid}}", "stream": {{(stream ? "true" : "false")}}}"""
        : $$"""{"messages": [{"role": "user", "content": "tell a story"}], "max_tokens": 500, "rid": "{{rid}}", "stream": {{(stream ? "true" : "false")}}}""";

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task An_aborted_request_ends_with_stop_and_an_abort_message(string path, bool stream)
    {
        await using var server = await DllmTestServer.StartAsync(TestEngines.Options(TinyModels.Peaked), o => o.Generator = e => new StallingGenerator(e));
        string rid = $"openai-abort-{Guid.NewGuid():N}";
        var pending = stream
            ? server.Client.PostStreamingAsync(path, Body(path, rid, stream: true))
            : server.Client.PostAsync(path, Body(path, rid, stream: false));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (server.Tracker.Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the request never started");
            await Task.Delay(10);
        }
        await Task.Delay(100); // past the first block

        Assert.Equal(System.Net.HttpStatusCode.OK, (await server.Client.PostAsync("/abort_request", $$"""{"rid": "{{rid}}"}""")).StatusCode);
        using var response = await pending;

        var choices = stream
            ? ServerSentEvents.JsonUntilDone(await ServerSentEvents.ReadAllAsync(response)).SelectMany(c => c.GetProperty("choices").EnumerateArray()).ToList()
            : [.. (await response.JsonAsync()).GetProperty("choices").EnumerateArray()];
        var last = choices.Single(c => c.GetProperty("finish_reason").ValueKind != JsonValueKind.Null);
        Assert.Equal("stop", last.GetProperty("finish_reason").GetString());
        Assert.Equal("aborted by /abort_request", last.GetProperty("abort_message").GetString());
        Assert.All(choices.Where(c => c.GetProperty("finish_reason").ValueKind == JsonValueKind.Null), c => Assert.False(c.TryGetProperty("abort_message", out _)));
        string text = string.Concat(choices.Select(TextOf));
        Assert.Equal(StallingGenerator.FirstBlock, text);
    }

    [Fact]
    public async Task A_request_that_ends_normally_has_no_abort_message()
    {
        await using var server = await DllmTestServer.StartAsync(TestEngines.Options(TinyModels.Peaked));

        var chat = await (await server.Client.PostAsync("/v1/chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}""")).JsonAsync();
        var completion = await (await server.Client.PostAsync("/v1/completions", """{"prompt": "hi", "max_tokens": 4}""")).JsonAsync();

        foreach (var choice in new[] { chat.GetProperty("choices")[0], completion.GetProperty("choices")[0] })
        {
            Assert.Contains(choice.GetProperty("finish_reason").GetString(), new[] { "stop", "length" });
            Assert.False(choice.TryGetProperty("abort_message", out _));
        }
    }

    private static string TextOf(JsonElement choice)
    {
        if (choice.TryGetProperty("text", out var text))
            return text.GetString()!;
        var message = choice.TryGetProperty("message", out var full) ? full : choice.GetProperty("delta");
        return message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String ? content.GetString()! : "";
    }
}
