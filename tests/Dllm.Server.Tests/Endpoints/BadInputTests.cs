using System.Net;
using System.Text;
using Dllm.Server.Tests.Infrastructure;

namespace Dllm.Server.Tests.Endpoints;

/// <summary>Every kind of bad input gets the documented status and an error naming the field; the server keeps serving.</summary>
[Collection(ServerCollection.Name)]
public class BadInputTests(ServerFixture fixture)
{
    private DllmTestServer Server => fixture.Server;

    /// <summary>Path, body, expected <c>param</c> (null: none), a piece of the message.</summary>
    public static TheoryData<string, string, string?, string> BadRequests => new()
    {
        { "/generate", """{"text": "a", """, null, "malformed JSON" },
        { "/generate", "", null, "empty" },
        { "/generate", "[1, 2]", null, "JSON object" },
        { "/generate", """{"text": "a", "input_ids": [1, 2]}""", "text", "exactly one of text and input_ids" },
        { "/generate", """{"sampling_params": {"max_new_tokens": 4}}""", "text", "exactly one of text and input_ids" },
        { "/generate", """{"text": "a", "sampling_params": {"max_new_tokens": -1}}""", "sampling_params.max_new_tokens", "must be >= 0" },
        { "/generate", """{"input_ids": [1, 999999]}""", "input_ids", "outside the vocabulary" },
        { "/generate", """{"input_ids": [[1, 2], [3, -4]]}""", "input_ids[1]", "prompt 1: input_ids[1]: token id -4 is outside the vocabulary" },
        { "/generate", $$$"""{"input_ids": [{{{string.Join(", ", Enumerable.Repeat(65, 2100))}}}]}""", "input_ids", "the context length is 2048 tokens" },
        { "/generate", """{"text": "a", "sampling_params": {"max_new_tokens": 5000}}""", "sampling_params.max_new_tokens", "+ sampling_params.max_new_tokens (5000) + one block" },
        { "/generate", """{"text": ["a", "b"], "sampling_params": [{"max_new_tokens": 4}, {"max_new_tokens": 5000}]}""", "sampling_params[1].max_new_tokens", "prompt 1: the prompt" },
        { "/generate", $$$"""{"input_ids": [[1, 2], [{{{string.Join(", ", Enumerable.Repeat(65, 2100))}}}]]}""", "input_ids[1]", "the context length is 2048 tokens" },
        { "/generate", $$$"""{"text": "{{{new string('x', 200_000)}}}"}""", "text", "alone exceeds the context length" },
        { "/generate", """{"text": "a", "sampling_params": {"temperature": 1e39, "max_new_tokens": 8}}""", "sampling_params.temperature", "the float32 range" },
        { "/generate", """{"text": "a", "sampling_params": {"temperature": 3.5e38}}""", "sampling_params.temperature", "the float32 range" },
        { "/generate", """{"text": "a", "sampling_params": {"top_p": 1e-46}}""", "sampling_params.top_p", "the smallest float32" },
        { "/generate", """{"text": "a", "sampling_params": {"min_p": 1e-46}}""", "sampling_params.min_p", "the smallest float32" },
        { "/generate", """{"text": "a", "stream": true, "return_steps": "yes"}""", "return_steps", "return_steps must be true or false" },
        { "/generate", """{"text": "a", "return_steps": true}""", "return_steps", "return_steps needs \"stream\": true" },
        { "/generate", """{"text": 5}""", "text", "must be a string or a list of strings" },
        { "/generate", """{"text": ["a", 7]}""", "text[1]", "must be a string" },
        { "/generate", """{"input_ids": "1 2 3"}""", "input_ids", "must be a list" },
        { "/generate", """{"input_ids": [1, 2.5]}""", "input_ids[1]", "must be an integer" },
        { "/generate", """{"input_ids": []}""", "input_ids", "must not be empty" },
        { "/generate", """{"text": "a", "sampling_params": {"temperature": "hot"}}""", "sampling_params.temperature", "must be a number" },
        { "/generate", """{"text": "a", "sampling_params": {"top_p": 0}}""", "sampling_params.top_p", "(0, 1]" },
        { "/generate", """{"text": "a", "sampling_params": {"top_k": 0}}""", "sampling_params.top_k", "top_k" },
        { "/generate", """{"text": "a", "sampling_params": {"stop": 3}}""", "sampling_params.stop", "a string or a list of strings" },
        { "/generate", """{"text": "a", "sampling_params": {"warp_speed": 9}}""", "sampling_params.warp_speed", "not a sampling parameter" },
        { "/generate", """{"text": "a", "sampling_params": 3}""", "sampling_params", "an object or a list of objects" },
        { "/generate", """{"text": "a", "sampling_params": {"threshold": 1.5}}""", "sampling_params.threshold", "sampling_params.threshold" },
        { "/generate", """{"text": "a", "sampling_params": {"threshold": -0.1}}""", "sampling_params.threshold", "sampling_params.threshold" },
        { "/generate", """{"text": "a", "sampling_params": {"threshold": "high"}}""", "sampling_params.threshold", "must be a number" },
        { "/generate", """{"text": "a", "sampling_params": {"block_size": 0}}""", "sampling_params.block_size", "sampling_params.block_size" },
        { "/generate", """{"text": "a", "sampling_params": {"block_size": 2048}}""", "sampling_params.block_size", "sampling_params.block_size" },
        { "/generate", """{"text": "a", "sampling_params": {"block_size": 16.5}}""", "sampling_params.block_size", "must be an integer" },
        { "/generate", """{"text": ["a", "b"], "sampling_params": [{"block_size": 16}, {"block_size": -4}]}""", "sampling_params[1].block_size", "prompt 1: " },
        { "/generate", """{"text": ["a", "b"], "sampling_params": [{}]}""", "sampling_params", "1 entries for 2 prompts" },
        { "/generate", """{"text": "a", "stream": "yes"}""", "stream", "true or false" },
        { "/generate", """{"text": ["a", "b"], "rid": "one"}""", "rid", "a list of strings" },
        { "/generate", """{"text": ["a", "b"], "rid": ["x", "x"]}""", "rid", "twice" },
        { "/v1/chat/completions", """{"model": "m"}""", "messages", "messages is required" },
        { "/v1/chat/completions", """{"messages": []}""", "messages", "must not be empty" },
        { "/v1/chat/completions", """{"messages": [{"role": "wizard", "content": "hi"}]}""", "messages[0].role", "must be system" },
        { "/v1/chat/completions", """{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}""", "messages[0].content[0].type", "text only" },
        { "/v1/chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "n": 2}""", "n", "not supported" },
        { "/v1/chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "max_tokens": -3}""", "max_tokens", "must be >= 0" },
        { "/v1/chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "temperature": "warm"}""", "temperature", "must be a number" },
        { "/v1/chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "temperature": 1e300}""", "temperature", "the float32 range" },
        { "/v1/chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "top_p": 1e-46}""", "top_p", "the smallest float32" },
        { "/v1/chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "retrieval"}]}""", "tools[0].type", "'function'" },
        { "/v1/chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 5000}""", "max_tokens", "+ max_tokens (5000) + one block" },
        { "/v1/chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "max_completion_tokens": 5000}""", "max_completion_tokens", "+ max_completion_tokens (5000) + one block" },
        { "/v1/completions", """{"model": "m"}""", "prompt", "prompt is required" },
        { "/v1/completions", """{"prompt": "a", "max_tokens": 5000}""", "max_tokens", "+ max_tokens (5000) + one block" },
        { "/v1/completions", """{"prompt": [[1, 2], [3, 999999]]}""", "prompt[1]", "prompt 1: prompt[1]: token id 999999 is outside the vocabulary" },
        { "/v1/completions", """{"prompt": [1, 999999]}""", "prompt", "prompt: token id 999999" },
        { "/v1/completions", """{"prompt": "a", "echo": true}""", "echo", "not supported" },
        { "/v1/completions", """{"prompt": "a", "temperature": 1e39}""", "temperature", "the float32 range" },
        { "/v1/completions", """{"prompt": [[1, 2], []]}""", "prompt[1]", "must not be empty" },
        { "/abort_request", """{"foo": 1}""", "rid", "rid" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_input_is_a_400_naming_the_field(string path, string body, string? param, string message)
    {
        long steps = Server.Engine.DenoisingSteps;

        var error = await (await Server.Client.PostAsync(path, body)).ErrorAsync(HttpStatusCode.BadRequest);

        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Contains(message, error.GetProperty("message").GetString());
        Assert.Equal(steps, Server.Engine.DenoisingSteps);
    }

    [Theory]
    [InlineData("""{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 5000}""")]
    [InlineData("""{"messages": [{"role": "user", "content": "hi"}], "max_completion_tokens": 5000}""")]
    public async Task The_chat_route_names_its_own_token_limit_field_never_the_engine_one(string body)
    {
        var error = await (await Server.Client.PostAsync("/v1/chat/completions", body)).ErrorAsync(HttpStatusCode.BadRequest);

        Assert.DoesNotContain("max_new_tokens", error.GetProperty("message").GetString());
        Assert.DoesNotContain("prompt 0", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_bad_stream_request_is_a_400_before_any_event()
    {
        using var response = await Server.Client.PostStreamingAsync("/generate", """{"input_ids": [1, 999999], "stream": true}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_a_413_with_or_without_a_content_length()
    {
        string big = $$$"""{"text": "{{{new string('a', (int)ServerFixture.BodyLimit + 10)}}}"}""";
        var sized = await Server.Client.PostAsync("/generate", big);
        var chunkedRequest = new HttpRequestMessage(HttpMethod.Post, "/generate") { Content = Http.Json(big) };
        chunkedRequest.Headers.TransferEncodingChunked = true;
        var chunked = await Server.Client.SendAsync(chunkedRequest);

        Assert.Equal("request_too_large", (await sized.ErrorAsync(HttpStatusCode.RequestEntityTooLarge)).GetProperty("code").GetString());
        Assert.Equal("request_too_large", (await chunked.ErrorAsync(HttpStatusCode.RequestEntityTooLarge)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task After_bad_requests_the_server_keeps_serving()
    {
        await Server.Client.PostAsync("/generate", "{");
        await Server.Client.PostAsync("/generate", """{"input_ids": [-1]}""");

        var json = await (await Server.Client.PostAsync("/generate", """{"text": "still here", "sampling_params": {"max_new_tokens": 4, "ignore_eos": true}}""")).JsonAsync();

        Assert.Equal(4, json.GetProperty("meta_info").GetProperty("completion_tokens").GetInt32());
    }
}
