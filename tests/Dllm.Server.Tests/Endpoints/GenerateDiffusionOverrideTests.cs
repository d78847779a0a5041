using System.Text.Json;
using Dllm.Server.Tests.Infrastructure;
using Dllm.Testing;
using Xunit.Abstractions;

namespace Dllm.Server.Tests.Endpoints;

/// <summary><c>sampling_params.threshold</c> and <c>sampling_params.block_size</c> on <c>/generate</c>: the engine runs the request with them, seen in its streamed step records.</summary>
[Collection(ServerCollection.Name)]
public class GenerateDiffusionOverrideTests(ServerFixture fixture, ITestOutputHelper output)
{
    private const string Prompt = "Show me the blocks of sixteen";

    private DllmTestServer Server => fixture.Server;

    private sealed record Run(List<DenoisingStep> Steps, int[] OutputIds, int PromptTokens, int DenoisingSteps);

    private async Task<Run> RunAsync(string rid, string overrides)
    {
        string body = $$$"""{"text": "{{{Prompt}}}", "rid": "{{{rid}}}", "stream": true, "return_steps": true, "sampling_params": {"max_new_tokens": 70, "ignore_eos": true, "temperature": 0{{{overrides}}}}}""";
        using var response = await Server.Client.PostStreamingAsync("/generate", body);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var events = ServerSentEvents.JsonUntilDone(await ServerSentEvents.ReadAllAsync(response));
        var meta = events[^1].GetProperty("meta_info");
        var steps = events.SelectMany(e => e.GetProperty("meta_info").GetProperty("steps").EnumerateArray()).Select(Step).ToList();
        return new Run(steps, events[^1].GetProperty("output_ids").Ids(), meta.GetProperty("prompt_tokens").GetInt32(), meta.GetProperty("denoising_steps").GetInt32());
    }

    private static DenoisingStep Step(JsonElement step) => new()
    {
        Step = step.GetProperty("step").GetInt32(),
        Committed = [.. step.GetProperty("committed").EnumerateArray().Select(t => new StepToken(
            t.GetProperty("pos").GetInt32(), t.GetProperty("id").GetInt32(), t.GetProperty("text").GetString()!, (float)t.GetProperty("p").GetDouble()))],
        Edited = [],
        MasksLeft = step.GetProperty("masks_left").GetInt32(),
    };

    [Fact]
    public async Task Block_size_16_runs_in_blocks_of_16_where_the_server_default_runs_in_blocks_of_32()
    {
        var sixteen = await RunAsync("blocks-16", ", \"block_size\": 16");
        var server = await RunAsync("blocks-default", "");
        var thirtyTwo = await RunAsync("blocks-32", ", \"block_size\": 32");

        int committed16 = StepReplay.Verify(sixteen.Steps, sixteen.OutputIds, sixteen.PromptTokens, 16, sixteen.DenoisingSteps);
        int committed32 = StepReplay.Verify(server.Steps, server.OutputIds, server.PromptTokens, 32, server.DenoisingSteps);
        output.WriteLine($"prompt {sixteen.PromptTokens}: block 16 commits {committed16} in {sixteen.DenoisingSteps} steps, block 32 {committed32} in {server.DenoisingSteps}");
        Assert.Equal(RoundUp(sixteen.PromptTokens + 70, 16) - sixteen.PromptTokens, committed16);
        Assert.Equal(RoundUp(server.PromptTokens + 70, 32) - server.PromptTokens, committed32);
        Assert.All(sixteen.Steps, s => Assert.InRange(s.MasksLeft, 0, 15));
        // The 32-token run is not a run in blocks of 16 (its masks_left counts slots of 32), and an explicit 32 is the server's default.
        Assert.Throws<InvalidOperationException>(() => StepReplay.Verify(server.Steps, server.OutputIds, server.PromptTokens, 16, server.DenoisingSteps));
        Assert.Equal(server.OutputIds, thirtyTwo.OutputIds);
        Assert.Equal(server.DenoisingSteps, thirtyTwo.DenoisingSteps);
    }

    [Fact]
    public async Task A_threshold_of_0_5_commits_at_least_as_many_tokens_per_step_as_0_99_each_keeps_its_rule_and_1_commits_one_token_a_step()
    {
        var low = await RunAsync("threshold-low", ", \"threshold\": 0.5");
        var high = await RunAsync("threshold-high", ", \"threshold\": 0.99");

        int committedLow = StepReplay.Verify(low.Steps, low.OutputIds, low.PromptTokens, 32, low.DenoisingSteps);
        int committedHigh = StepReplay.Verify(high.Steps, high.OutputIds, high.PromptTokens, 32, high.DenoisingSteps);
        double perStepLow = (double)committedLow / low.DenoisingSteps, perStepHigh = (double)committedHigh / high.DenoisingSteps;
        output.WriteLine($"threshold 0.5: {committedLow} tokens in {low.DenoisingSteps} steps ({perStepLow:F2}/step); 0.99: {committedHigh} in {high.DenoisingSteps} ({perStepHigh:F2}/step)");
        Assert.True(perStepLow >= perStepHigh, $"{perStepLow} < {perStepHigh} tokens per step");
        // A step commits the tokens above its threshold, or its one most confident token when none is above.
        foreach (var (run, threshold) in new[] { (low, 0.5f), (high, 0.99f) })
            Assert.All(run.Steps.Where(s => s.Committed.Count > 1), s => Assert.All(s.Committed, t => Assert.True(t.Confidence > threshold, $"p {t.Confidence} at threshold {threshold}")));
        // At threshold 1 no confidence is above it: every step commits one token, so the override reaches the decoder.
        var one = await RunAsync("threshold-one", ", \"threshold\": 1");
        int committedOne = StepReplay.Verify(one.Steps, one.OutputIds, one.PromptTokens, 32, one.DenoisingSteps);
        output.WriteLine($"threshold 1: {committedOne} tokens in {one.DenoisingSteps} steps");
        Assert.Equal(committedOne, one.DenoisingSteps);
        Assert.True(one.DenoisingSteps > low.DenoisingSteps, $"{one.DenoisingSteps} steps at threshold 1, {low.DenoisingSteps} at 0.5");
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
