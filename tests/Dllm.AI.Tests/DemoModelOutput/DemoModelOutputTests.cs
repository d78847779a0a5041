using Dllm.Decoding;
using Microsoft.Extensions.AI;
using Xunit.Abstractions;

namespace Dllm.AI.Tests.DemoModelOutput;

/// <summary>
/// The built-in demo model's own output, nothing scripted: the seed's counting request, end of turn, streaming blocks,
/// and tool calls the model writes itself, through the engine and <see cref="IChatClient"/> with
/// <c>UseFunctionInvocation()</c>.
/// </summary>
[Collection(DemoEngineCollection.Name)]
public sealed class DemoModelOutputTests(DemoEngineFixture fixture, ITestOutputHelper output)
{
    /// <summary>The seed's first LLaDA2 request, as its curl sends it.</summary>
    private const string SeedCountingPrompt =
        "<role>SYSTEM</role>detailed thinking off<|role_end|><role>HUMAN</role> Write the number from 1 to 128 <|role_end|><role>ASSISTANT</role>";

    private static string Numbers(int from, int to) => string.Join(", ", Enumerable.Range(from, to - from + 1));

    [Fact]
    public async Task The_seed_counting_request_returns_1_to_128_committing_many_tokens_per_step_and_stops_at_the_end_of_turn()
    {
        var result = await fixture.Engine.GenerateAsync(GenerateRequest.FromText(SeedCountingPrompt, new SamplingParams { Temperature = 0, MaxNewTokens = 1024 }));

        double tokensPerStep = (double)result.CompletionTokens / result.DenoisingSteps;
        output.WriteLine($"{result.CompletionTokens} tokens in {result.DenoisingSteps} steps: {tokensPerStep:F1} tokens per step");
        Assert.Equal(Numbers(1, 128), result.Text);
        Assert.Equal(FinishKind.Stop, result.FinishReason.Kind);
        Assert.True(result.CompletionTokens < 1024);
        Assert.True(tokensPerStep > 2, $"{tokensPerStep:F2} tokens per step");
    }

    [Fact]
    public async Task Through_IChatClient_counting_stops_at_the_end_of_turn_without_a_token_limit_and_streams_several_blocks()
    {
        using IChatClient client = new DllmChatClient(fixture.Engine);

        var response = await client.GetResponseAsync("Write the number from 1 to 20", new ChatOptions { Temperature = 0 });
        Assert.Equal(Numbers(1, 20), response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);

        var pieces = new List<string>();
        await foreach (var update in client.GetStreamingResponseAsync("Write the number from 1 to 36", new ChatOptions { Temperature = 0 }))
        {
            if (update.Text.Length > 0)
                pieces.Add(update.Text);
        }
        output.WriteLine($"{pieces.Count} streamed text updates: {string.Join(" | ", pieces)}");
        Assert.Equal(Numbers(1, 36), string.Concat(pieces));
        Assert.True(pieces.Count >= 3, $"{pieces.Count} updates");
    }

    [Fact]
    public async Task Under_UseFunctionInvocation_the_model_calls_the_tool_itself_and_answers_with_its_result()
    {
        var tools = new DemoTools();
        using var client = new DllmChatClient(fixture.Engine).AsBuilder().UseFunctionInvocation().Build();
        var options = new ChatOptions
        {
            Temperature = 0,
            Tools = [AIFunctionFactory.Create(tools.GetWeather, "get_weather"), AIFunctionFactory.Create(tools.GetTime, "get_time")],
        };

        var response = await client.GetResponseAsync("What is the weather in Paris?", options);

        output.WriteLine(response.Text);
        Assert.Equal(["get_weather(Paris)"], tools.Calls);
        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("It is sunny in Paris, 21 degrees Celsius.", response.Messages[^1].Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
    }
}
