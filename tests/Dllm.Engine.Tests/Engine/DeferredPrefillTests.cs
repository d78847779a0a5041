using System.Collections.Concurrent;
using Dllm.Decoding;
using Dllm.Testing;

namespace Dllm.Tests.Engine;

/// <summary>With steps fused with placeholders (as under CUDA graphs), a short uncached tail of a prompt is stored by its
/// first step's forward instead of a prefill forward of its own, with the ids of the separate prefill; a long one is
/// prefilled as before; a follow-up turn finds the whole conversation in the prefix cache.</summary>
public class DeferredPrefillTests
{
    private static GenerateRequest Request(int[] ids, int tokens = 48) =>
        GenerateRequest.FromIds(ids, new SamplingParams { MaxNewTokens = tokens, IgnoreEos = true });

    /// <summary>Runs the requests one after another on an engine that fuses with placeholders or not, counting forwards.</summary>
    private static async Task<(List<GenerationResult> Results, Dictionary<string, int> Forwards)> RunAsync(bool placeholders, params GenerateRequest[] requests)
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Peaked);
        engine.PlaceholderFusion = placeholders;
        var forwards = new ConcurrentDictionary<string, int>();
        engine.FaultInjection = (kind, _) => forwards.AddOrUpdate(kind, 1, (_, n) => n + 1);
        var results = new List<GenerationResult>();
        foreach (var request in requests)
            results.Add(await engine.GenerateAsync(request));
        return (results, new Dictionary<string, int>(forwards));
    }

    [Theory]
    [InlineData(70)] // two whole blocks before the first block: left to the first step
    [InlineData(100)] // three
    public async Task A_short_prompt_tail_is_stored_by_the_first_step_with_the_ids_of_a_separate_prefill(int promptTokens)
    {
        var request = Request(TestPrompts.Ids(promptTokens, 1));

        var (separate, separateForwards) = await RunAsync(placeholders: false, request);
        var (deferred, deferredForwards) = await RunAsync(placeholders: true, request);

        Assert.Equal(separate[0].OutputIds, deferred[0].OutputIds);
        Assert.Equal(1, separateForwards.GetValueOrDefault("prefill"));
        Assert.Equal(0, deferredForwards.GetValueOrDefault("prefill"));
        Assert.Equal(0, deferredForwards.GetValueOrDefault("clean"));
    }

    [Fact]
    public async Task A_tail_longer_than_the_limit_is_prefilled_in_a_forward_of_its_own()
    {
        int blocks = Dllm.Scheduling.Prefiller.DeferredPrefillMaxBlocks + 1;
        var (results, forwards) = await RunAsync(placeholders: true, Request(TestPrompts.Ids(blocks * 32 + 5, 2)));

        Assert.Equal(1, forwards.GetValueOrDefault("prefill"));
        Assert.Equal(48, results[0].CompletionTokens);
    }

    [Fact]
    public async Task A_follow_up_turn_reuses_the_deferred_tail_and_the_output_from_the_prefix_cache()
    {
        int[] first = TestPrompts.Ids(70, 3);
        var (separate, _) = await RunAsync(placeholders: false, Request(first, 64));
        int[] followUp = [.. first, .. separate[0].OutputIds, .. TestPrompts.Ids(20, 4)];

        var (withSeparate, _) = await RunAsync(placeholders: false, Request(first, 64), Request(followUp));
        var (withDeferred, _) = await RunAsync(placeholders: true, Request(first, 64), Request(followUp));

        Assert.Equal(withSeparate[1].OutputIds, withDeferred[1].OutputIds);
        // The first turn's prompt (2 blocks, deferred) and its output (2 blocks) came back from the cache.
        Assert.Equal(withSeparate[1].CachedTokens, withDeferred[1].CachedTokens);
        Assert.True(withDeferred[1].CachedTokens >= 128, $"{withDeferred[1].CachedTokens} cached tokens");
    }

    [Fact]
    public async Task Requests_admitted_beside_running_ones_with_blocks_pending_give_the_ids_of_the_separate_path()
    {
        // Prompts of different lengths arriving together: tails of 0 to 3 blocks beside requests whose blocks resolve.
        var requests = Enumerable.Range(0, 6).Select(i => Request(TestPrompts.Ids(10 + 19 * i, 10 + i), 40 + 8 * i)).ToArray();
        async Task<List<int[]>> Together(bool placeholders)
        {
            await using var engine = await TestEngines.CreateAsync(TinyModels.Peaked);
            engine.PlaceholderFusion = placeholders;
            var results = await Task.WhenAll(requests.Select(r => engine.GenerateAsync(r)));
            Assert.Equal(0, engine.RunningRequests);
            return [.. results.Select(r => r.OutputIds.ToArray())];
        }

        Assert.Equal(await Together(placeholders: false), await Together(placeholders: true));
    }
}
