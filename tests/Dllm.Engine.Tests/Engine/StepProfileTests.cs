using Dllm.Decoding;
using Dllm.Testing;

namespace Dllm.Tests.Engine;

/// <summary>The scheduler's and the runner's time accounts: a generation's steps are counted, the propose time splits
/// into "until the logits" (of it the inputs' layout) and "sampling and copy", and the split lies inside the step time it divides.</summary>
public class StepProfileTests
{
    [Fact]
    public async Task Propose_time_splits_into_forward_inputs_and_sampling_inside_the_step_time()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Peaked);
        var iterationBefore = engine.IterationProfile;
        var proposeBefore = engine.ProposeProfile;
        var result = await engine.GenerateAsync(GenerateRequest.FromIds([.. Enumerable.Range(100, 40)], new SamplingParams { MaxNewTokens = 64, IgnoreEos = true }));
        var iteration = engine.IterationProfile - iterationBefore;
        var propose = engine.ProposeProfile - proposeBefore;

        Assert.Equal(64, result.CompletionTokens);
        Assert.Equal(result.DenoisingSteps, iteration.Steps);
        Assert.True(propose.Forward > TimeSpan.Zero, $"forward {propose.Forward}");
        Assert.True(propose.Sample > TimeSpan.Zero, $"sample {propose.Sample}");
        Assert.True(propose.Inputs > TimeSpan.Zero && propose.Inputs <= propose.Forward, $"inputs {propose.Inputs} of forward {propose.Forward}");
        Assert.True(propose.Forward + propose.Sample <= iteration.Step, $"{propose.Forward} + {propose.Sample} > step {iteration.Step}");
    }
}
