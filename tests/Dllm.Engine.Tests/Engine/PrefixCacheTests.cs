using Dllm.Decoding;
using Dllm.Testing;

namespace Dllm.Tests.Engine;

/// <summary>The prefix cache: the same requests give the same output with it on and off; a request whose prompt starts
/// with whole blocks an earlier request prefilled or generated (a shared system prompt, a second turn) reuses their K/V
/// and prefills only the rest.</summary>
public class PrefixCacheTests
{
    private static SamplingParams Greedy(int maxNewTokens) => new() { MaxNewTokens = maxNewTokens, IgnoreEos = true };

    private static readonly int[] System = TestPrompts.Ids(100, 1); // three whole blocks and 4 tokens
    private static readonly int[] FirstPrompt = [.. System, .. TestPrompts.Ids(20, 2)]; // 120 tokens: 3 whole blocks

    /// <summary>The conversation, one request after the other, with the cache statistics after each.</summary>
    private static async Task<List<(GenerationResult Result, KvCacheStats Stats)>> ConverseAsync(DllmEngine engine)
    {
        var steps = new List<(GenerationResult, KvCacheStats)>();
        async Task<GenerationResult> Run(int[] prompt, int maxNewTokens)
        {
            var result = await engine.GenerateAsync(GenerateRequest.FromIds(prompt, Greedy(maxNewTokens)));
            steps.Add((result, engine.KvCacheStats));
            return result;
        }
        var first = await Run(FirstPrompt, 70);            // blocks at 96, 128, 160: the first two get their clean pass
        await Run([.. System, .. TestPrompts.Ids(12, 3)], 40);         // the same system prompt
        int[] secondTurn = [.. FirstPrompt, .. first.OutputIds, .. TestPrompts.Ids(9, 4)]; // 199 tokens: 6 whole blocks
        await Run(secondTurn, 50);
        await Run(secondTurn, 50);                          // the same prompt again
        return steps;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // steps fused with placeholders, as under CUDA graphs: short uncached tails ride in the first step
    public async Task The_same_conversation_gives_the_same_ids_with_the_cache_on_and_off_and_reuses_the_shared_blocks(bool placeholders)
    {
        List<(GenerationResult Result, KvCacheStats Stats)> on, off;
        await using (var engine = await TestEngines.CreateAsync(TinyModels.Peaked))
        {
            engine.PlaceholderFusion = placeholders;
            on = await ConverseAsync(engine);
        }
        await using (var engine = await DllmEngine.CreateAsync(TestEngines.Options(TinyModels.Peaked) with { DisableRadixCache = true }))
        {
            engine.PlaceholderFusion = placeholders;
            off = await ConverseAsync(engine);
        }

        for (int i = 0; i < on.Count; i++)
            Assert.Equal(off[i].Result.OutputIds, on[i].Result.OutputIds);
        Assert.Equal(70, on[0].Result.CompletionTokens);
        // Prefilled prompt tokens per request: cache off, every whole prompt block; cache on, only the new ones.
        long[] Prefilled(List<(GenerationResult, KvCacheStats Stats)> run) => [.. run.Select((s, i) => s.Stats.PrefilledTokens - (i == 0 ? 0 : run[i - 1].Stats.PrefilledTokens))];
        Assert.Equal([96, 96, 192, 192], Prefilled(off));
        Assert.Equal([96, 0, 32, 0], Prefilled(on));
        // Hits: the system prompt's 3 blocks; the first turn's 3 prompt blocks + its 2 clean output blocks; all 6.
        Assert.Equal([0L, 96, 96 + 160, 96 + 160 + 192], on.Select(s => s.Stats.CachedTokens));
        Assert.Equal([0L, 1, 2, 3], on.Select(s => s.Stats.CacheHitRequests));
        Assert.Equal(3 + 5 + 6, on[^1].Stats.CacheHitBlocks);
        Assert.All(off, s => Assert.Equal((0L, 0), (s.Stats.CacheHitRequests, s.Stats.PagesCached)));
        Assert.All(on.Concat(off), s => Assert.Equal(0, s.Stats.PagesInUse));
        // First turn: 3 prompt + 2 output pages; the other system-prompt request: its first output page; second turn: its
        // last prompt page and its first output page; the repeat adds nothing new (the same content is cached once).
        Assert.Equal([5, 6, 8, 8], on.Select(s => s.Stats.PagesCached));
        Assert.Equal(on[^1].Stats.PagesCached, on[^1].Stats.PagesEvictable);
    }

    [Fact]
    public async Task A_request_whose_block_size_is_not_the_page_size_is_served_paged_but_not_cached()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Peaked);
        var request = GenerateRequest.FromIds(FirstPrompt, Greedy(40)) with { BlockSize = 16 };

        var first = await engine.GenerateAsync(request);
        var second = await engine.GenerateAsync(request);
        var stats = engine.KvCacheStats;

        Assert.Equal(first.OutputIds, second.OutputIds);
        Assert.Equal(40, second.CompletionTokens);
        Assert.Equal((0L, 0L, 0), (stats.CacheHitRequests, stats.CachedTokens, stats.PagesCached));
        Assert.Equal(2 * 112, stats.PrefilledTokens); // 7 whole blocks of 16, twice
        Assert.Equal(stats.TotalPages, stats.PagesFree);
    }
}
