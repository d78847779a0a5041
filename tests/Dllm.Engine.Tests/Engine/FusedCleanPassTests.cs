using System.Collections.Concurrent;
using Dllm.Decoding;
using Dllm.Testing;

namespace Dllm.Tests.Engine;

/// <summary>The fused clean pass: with placeholders, a step whose group mixes requests with and without a resolved block
/// is still one forward, no separate clean pass runs, and every request's ids are exactly those of the separate clean
/// pass; without CUDA graphs (here, on the CPU) mixed groups keep the separate clean pass by default.</summary>
public class FusedCleanPassTests
{
    /// <summary>Six requests at once, prompts of different lengths (so their blocks resolve at different steps).</summary>
    private static async Task<(List<int[]> Outputs, Dictionary<string, int> Forwards)> RunAsync(bool fuse, bool? placeholders = null)
    {
        await using var engine = await DllmEngine.CreateAsync(TestEngines.Options(TinyModels.Peaked) with { FuseCleanPass = fuse });
        engine.PlaceholderFusion = placeholders;
        var forwards = new ConcurrentDictionary<string, int>();
        engine.FaultInjection = (kind, _) => forwards.AddOrUpdate(kind, 1, (_, n) => n + 1);
        var requests = Enumerable.Range(0, 6).Select(i => engine.GenerateAsync(GenerateRequest.FromIds(TestPrompts.Ids(5 + 13 * i, i),
            new SamplingParams { MaxNewTokens = 40 + 16 * i, IgnoreEos = true })));
        var results = await Task.WhenAll(requests);
        return ([.. results.Select(r => r.OutputIds.ToArray())], new Dictionary<string, int>(forwards));
    }

    [Fact]
    public async Task Mixed_groups_step_in_one_forward_and_give_the_ids_of_the_separate_clean_pass()
    {
        var (separateOutputs, separate) = await RunAsync(fuse: false);
        var (fusedOutputs, fused) = await RunAsync(fuse: true, placeholders: true);
        var (cpuOutputs, cpuDefault) = await RunAsync(fuse: true);

        Assert.Equal(separateOutputs, fusedOutputs);
        Assert.Equal(separateOutputs, cpuOutputs);
        // How requests share steps depends on when each joins the batch, so the counts vary from run to run; these hold
        // in every run.
        Assert.True(separate.GetValueOrDefault("clean") > 0, "the separate path runs clean passes");
        Assert.Equal(0, fused.GetValueOrDefault("clean"));
        // Without graphs, a mixed group stores its blocks in a separate clean pass.
        Assert.True(cpuDefault.GetValueOrDefault("clean") > 0, "mixed groups keep the clean pass without graphs");
    }
}
