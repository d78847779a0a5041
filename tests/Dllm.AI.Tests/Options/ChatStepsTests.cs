using System.Text.Json;
using Dllm.AI.Tests.Infrastructure;
using Dllm.Testing;
using Microsoft.Extensions.AI;

namespace Dllm.AI.Tests.Options;

/// <summary>The denoising steps through <see cref="IChatClient"/> (<see cref="DllmChatOptionKeys.ReturnSteps"/>).</summary>
[Collection(EngineCollection.Name)]
public sealed class ChatStepsTests(EngineFixture fixture)
{
    private const string Question = "Count the denoising steps";

    private static ChatOptions Options(object? returnSteps) => new()
    {
        MaxOutputTokens = 40,
        AdditionalProperties = returnSteps is null ? null : new() { [DllmChatOptionKeys.ReturnSteps] = returnSteps },
    };

    private async Task<List<ChatResponseUpdate>> StreamAsync(ChatOptions options)
    {
        using var client = new DllmChatClient(fixture.Engine);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(Question, options))
            updates.Add(update);
        return updates;
    }

    [Fact]
    public async Task Asked_for_each_update_carries_its_steps_which_replay_to_the_output_and_the_text_is_unchanged()
    {
        var plain = await StreamAsync(Options(null));
        var withSteps = await StreamAsync(Options(true));

        Assert.Equal(plain.Select(u => u.Text), withSteps.Select(u => u.Text));
        Assert.All(plain, u => Assert.Null(u.AdditionalProperties));
        var steps = withSteps.SelectMany(u => Assert.IsAssignableFrom<IReadOnlyList<DenoisingStep>>(u.AdditionalProperties![DllmChatUpdateKeys.Steps])).ToList();
        var last = Assert.IsType<GenerationUpdate>(withSteps[^1].RawRepresentation);
        StepReplay.Verify(steps, last.OutputIds, last.PromptTokens, EngineFixture.BlockSize, last.DenoisingSteps);
    }

    [Fact]
    public async Task GetResponseAsync_holds_all_the_steps_and_a_json_true_asks_too()
    {
        using var client = new DllmChatClient(fixture.Engine);

        var response = await client.GetResponseAsync(Question, Options(JsonDocument.Parse("true").RootElement));
        var plain = await client.GetResponseAsync(Question, Options(false));

        var steps = Assert.IsAssignableFrom<IReadOnlyList<DenoisingStep>>(response.AdditionalProperties![DllmChatUpdateKeys.Steps]);
        Assert.Equal(plain.Text, response.Text);
        Assert.Null(plain.AdditionalProperties);
        Assert.Equal((int)response.Usage!.AdditionalCounts!["denoising_steps"], steps.Count);
        Assert.Equal(Enumerable.Range(1, steps.Count), steps.Select(s => s.Step));
        Assert.True(steps.Sum(s => s.Committed.Count) >= response.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task A_value_that_is_not_a_boolean_is_an_argument_error_naming_the_key()
    {
        using var client = new DllmChatClient(fixture.Engine);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync(Question, Options(3)));

        Assert.Contains("return_steps", error.Message);
    }
}
