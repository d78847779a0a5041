using Dllm.Decoding;
using Dllm.Testing;

namespace Dllm.Tests.Engine;

public class DenoisingStepTests
{
    private static SamplingParams Greedy(int maxNewTokens) => new() { MaxNewTokens = maxNewTokens, IgnoreEos = true };

    private static async Task<List<GenerationUpdate>> StreamAsync(IDllmGenerator engine, GenerateRequest request)
    {
        var updates = new List<GenerationUpdate>();
        await foreach (var update in engine.GenerateStreamingAsync(request))
            updates.Add(update);
        return updates;
    }

    [Fact]
    public async Task Steps_replay_to_the_output_ids_and_each_update_carries_the_steps_since_the_previous_one()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random, blockSize: 32);
        var request = GenerateRequest.FromText("Replay the denoising steps", Greedy(70)) with { ReturnSteps = true };

        var updates = await StreamAsync(engine, request);

        var last = updates[^1];
        Assert.Equal(70, last.OutputIds.Count);
        var steps = updates.SelectMany(u => u.Steps!).ToList();
        int committed = StepReplay.Verify(steps, last.OutputIds, last.PromptTokens, 32, last.DenoisingSteps);
        // Three blocks resolve (the prompt's tail shares the first): the output is cut to 70 inside the last.
        Assert.Equal(3 * 32 - last.PromptTokens % 32, committed);
        foreach (var update in updates)
        {
            Assert.NotEmpty(update.Steps!);
            Assert.Equal(update.DenoisingSteps, update.Steps![^1].Step);
            Assert.Equal(0, update.Steps[^1].MasksLeft);
        }
        Assert.All(steps.SelectMany(s => s.Committed), t => Assert.Equal(engine.Tokenizer.Decode([t.TokenId]), t.Text));
        Assert.All(steps.SelectMany(s => s.Committed), t => Assert.InRange(t.Confidence, 0f, 1f));
        Assert.All(steps, s => Assert.Empty(s.Edited));
    }

    [Fact]
    public async Task Off_by_default_the_updates_have_no_steps_and_asking_for_steps_changes_nothing_else()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Peaked, blockSize: 16);
        var request = GenerateRequest.FromText("Steps off and on", Greedy(50)) with { Threshold = 0.5 };

        var off = await StreamAsync(engine, request);
        var on = await StreamAsync(engine, request with { ReturnSteps = true });

        Assert.All(off, u => Assert.Null(u.Steps));
        Assert.Equal(off.Count, on.Count);
        for (int i = 0; i < off.Count; i++)
        {
            Assert.Equal((off[i].Text, off[i].TextDelta, off[i].DenoisingSteps, off[i].FinishReason), (on[i].Text, on[i].TextDelta, on[i].DenoisingSteps, on[i].FinishReason));
            Assert.Equal(off[i].OutputIds, on[i].OutputIds);
            Assert.Equal(off[i].NewIds, on[i].NewIds);
        }
        var steps = on.SelectMany(u => u.Steps!).ToList();
        StepReplay.Verify(steps, on[^1].OutputIds, on[^1].PromptTokens, 16, on[^1].DenoisingSteps);
        // The peaked model commits several slots a step, each above the threshold; a single commit may be below it.
        Assert.Contains(steps, s => s.Committed.Count > 1);
        Assert.All(steps.Where(s => s.Committed.Count > 1).SelectMany(s => s.Committed), t => Assert.True(t.Confidence > 0.5f, $"{t.Confidence}"));
    }

    [Fact]
    public async Task A_request_with_steps_inside_a_batch_replays_and_the_others_carry_none()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random, maxRunningRequests: 4, blockSize: 32);
        var probe = GenerateRequest.FromText("The probe with steps", Greedy(40)) with { ReturnSteps = true };
        var others = Enumerable.Range(0, 3).Select(i => GenerateRequest.FromText($"other prompt {i} " + new string('y', 7 * i), Greedy(20 + 13 * i))).ToList();

        var runs = await Task.WhenAll(others.Prepend(probe).Select(r => StreamAsync(engine, r)));

        var last = runs[0][^1];
        StepReplay.Verify([.. runs[0].SelectMany(u => u.Steps!)], last.OutputIds, last.PromptTokens, 32, last.DenoisingSteps);
        Assert.All(runs.Skip(1).SelectMany(r => r), u => Assert.Null(u.Steps));
        Assert.Equal((await engine.GenerateAsync(probe with { ReturnSteps = false })).OutputIds, last.OutputIds);
    }

    [Fact]
    public async Task JointThreshold_steps_with_edits_replay_to_the_output_ids()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Peaked, blockSize: 16);
        var request = GenerateRequest.FromText("Editing steps", Greedy(40)) with { Algorithm = "JointThreshold", Threshold = 0.5, ReturnSteps = true };

        var updates = await StreamAsync(engine, request);

        var last = updates[^1];
        var steps = updates.SelectMany(u => u.Steps!).ToList();
        StepReplay.Verify(steps, last.OutputIds, last.PromptTokens, 16, last.DenoisingSteps);
        Assert.Equal(40, last.OutputIds.Count);
    }

    [Fact]
    public async Task The_replay_check_fails_on_steps_that_do_not_give_the_output()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random, blockSize: 32);
        var updates = await StreamAsync(engine, GenerateRequest.FromText("Tampered steps", Greedy(10)) with { ReturnSteps = true });
        var last = updates[^1];
        var steps = updates.SelectMany(u => u.Steps!).ToList();
        var wrongId = last.OutputIds.Select((id, i) => i == 3 ? id + 1 : id).ToList();
        var dropped = steps.Take(steps.Count - 1).Append(steps[^1] with { Committed = [] }).ToList();

        Assert.Throws<InvalidOperationException>(() => StepReplay.Verify(steps, wrongId, last.PromptTokens, 32, last.DenoisingSteps));
        Assert.Throws<InvalidOperationException>(() => StepReplay.Verify(dropped, last.OutputIds, last.PromptTokens, 32, last.DenoisingSteps));
        Assert.Throws<InvalidOperationException>(() => StepReplay.Verify(steps.Skip(1).ToList(), last.OutputIds, last.PromptTokens, 32, last.DenoisingSteps));
    }
}
