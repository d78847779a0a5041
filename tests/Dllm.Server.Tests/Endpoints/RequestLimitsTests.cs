using System.Diagnostics;
using System.Net;
using Dllm.Server.Hosting;
using Dllm.Server.Tests.Infrastructure;

namespace Dllm.Server.Tests.Endpoints;

/// <summary>Prompts per request and token-list lengths are checked at once, before any per-prompt work; nothing runs.</summary>
[Collection(ServerCollection.Name)]
public class RequestLimitsTests(ServerFixture fixture)
{
    private static string Items(string item, int count) => string.Join(", ", Enumerable.Repeat(item, count));

    public static TheoryData<string, string, string, string> TooMany => new()
    {
        { "/generate", $$"""{"text": [{{Items("\"a\"", 50_000)}}]}""", "text", "text has 50000 prompts" },
        { "/generate", $$"""{"input_ids": [{{Items("[1, 2]", 257)}}]}""", "input_ids", "at most 256" },
        { "/v1/completions", $$"""{"prompt": [{{Items("\"a\"", 257)}}]}""", "prompt", "at most 256" },
        { "/v1/completions", $$"""{"prompt": [{{Items("[3]", 20_000)}}]}""", "prompt", "prompt has 20000 prompts" },
    };

    [Theory]
    [MemberData(nameof(TooMany))]
    public async Task More_prompts_than_the_limit_is_a_400_at_once(string route, string body, string param, string message)
    {
        var server = fixture.Server;
        long steps = server.Engine.DenoisingSteps;
        var clock = Stopwatch.StartNew();

        var error = await (await server.Client.PostAsync(route, body)).ErrorAsync(HttpStatusCode.BadRequest);

        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Contains(message, error.GetProperty("message").GetString());
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.Equal(steps, server.Engine.DenoisingSteps);
        Assert.Equal(0, server.Tracker.Count);
    }

    public static TheoryData<string, string> TooLong => new()
    {
        { $$"""{"input_ids": [{{Items("65", 60_000)}}]}""", "input_ids" },
        { $$"""{"input_ids": [[1, 2], [{{Items("65", 2049)}}]]}""", "input_ids[1]" },
        { $$$"""{"text": "a", "sampling_params": {"stop_token_ids": [{{{Items("5", 3000)}}}]}}""", "sampling_params.stop_token_ids" },
    };

    [Theory]
    [MemberData(nameof(TooLong))]
    public async Task A_token_list_longer_than_the_context_is_a_400_naming_it(string body, string param)
    {
        var server = fixture.Server;
        long steps = server.Engine.DenoisingSteps;

        var error = await (await server.Client.PostAsync("/generate", body)).ErrorAsync(HttpStatusCode.BadRequest);

        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal($"{param} has more than 2048 numbers: the context length is 2048 tokens.", error.GetProperty("message").GetString());
        Assert.Equal(steps, server.Engine.DenoisingSteps);
    }

    [Fact]
    public void The_default_body_limit_admits_a_full_context_prompt_in_its_longest_form()
    {
        // 8192 token ids of six digits with separators, and the same context as text of ~100 bytes a token.
        long longestIds = $"{{\"input_ids\":[{string.Join(",", Enumerable.Repeat("157183", 8192))}]}}".Length;
        long longestText = 8192L * 100;

        Assert.Equal(8L * 1024 * 1024, DllmServerOptions.DefaultMaxRequestBodyBytes);
        Assert.True(128 * longestIds < DllmServerOptions.DefaultMaxRequestBodyBytes);
        Assert.True(10 * longestText < DllmServerOptions.DefaultMaxRequestBodyBytes);
        Assert.Equal(256, new DllmServerOptions().MaxPromptsPerRequest);
    }
}
