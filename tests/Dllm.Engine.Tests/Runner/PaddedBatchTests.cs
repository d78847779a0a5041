using Dllm.Model;
using Dllm.Runner;
using Dllm.Tests.Infrastructure;
using Dllm.Tests.Model;
using Dllm.Tests.Reference;
using TorchSharp;

namespace Dllm.Tests.Runner;

/// <summary>A batch padded up to a CUDA graph's batch size (<see cref="PaddedBatch"/>), checked op by op on the CPU (CI
/// has no GPU; bench's graph-check replays it from a graph): the real rows compute exactly what they compute unpadded,
/// and the padding rows write only the cache's scratch pages.</summary>
public class PaddedBatchTests
{
    private const int BlockSize = 8;
    private const int PageSize = 8;

    private static LLaDA2Model Create(int seed)
    {
        Torch.EnsureLoaded();
        var config = LLaDA2Shapes.Tiny(vocabSize: 64, layers: 2) with { MaxPositionEmbeddings = 256 };
        return LLaDA2Model.Load(config, new ReferenceWeightSource(ReferenceWeights.Random(config, seed)), torch.ScalarType.Float32, torch.CPU);
    }

    private static int[] Tokens(int count, int seed) => RandomTokens.Of(count, seed);

    private static readonly int[][] Tables = [[4, 1], [0, 6, 3], [7]];
    private static readonly int[] Prefixes = [8, 16, 0];

    /// <summary>A cache with the three sequences' prefixes prefilled.</summary>
    private static KvCache Prefilled(LLaDA2Model model)
    {
        var cache = model.CreateCache(pages: 8, pageSize: PageSize);
        for (int s = 0; s < Tables.Length; s++)
        {
            if (Prefixes[s] > 0)
                model.RunForward([new ForwardRequest(Tables[s], 0, Tokens(Prefixes[s], 10 + s))], cache, BlockSize, writeCache: true, computeLogits: false);
        }
        return cache;
    }

    /// <summary>The forward as a graph runs it: the prefix padded to a bucket, the key visibility always present.</summary>
    private static torch.Tensor Forward(LLaDA2Model model, KvCache cache, IReadOnlyList<ForwardRequest> requests, bool writeCache)
    {
        using var geometry = new BatchGeometry(new BatchLayout(requests, BlockSize, cache.PageSize, prefixLength: 32), torch.CPU, alwaysMask: true);
        return model.Forward(geometry, cache, writeCache, computeLogits: true, MoePath.AllExperts)!;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Padding_rows_leave_the_real_rows_logits_and_pages_exactly_as_without_them(bool writeCache)
    {
        using var model = Create(41);
        using var inference = torch.inference_mode();
        using var unpaddedCache = Prefilled(model);
        using var paddedCache = Prefilled(model);
        // A block a request after its prefix; written to the cache or not.
        var step = Enumerable.Range(0, Tables.Length).Select(s => new ForwardRequest(Tables[s], Prefixes[s], Tokens(BlockSize, 20 + s))).ToList();

        using var unpadded = Forward(model, unpaddedCache, step, writeCache);
        var padded = PaddedBatch.Pad(step, 5, paddedCache);
        using var paddedLogits = Forward(model, paddedCache, padded, writeCache);

        Assert.Equal(5, padded.Count);
        Assert.Equal([5, BlockSize, model.Config.VocabSize], paddedLogits.shape);
        Assert.Equal(0, ModelAssert.MaxAbsDifference(unpadded, paddedLogits.narrow(0, 0, step.Count)));
        long realRows = (long)paddedCache.Pages * PageSize, scratchRows = (long)paddedCache.ScratchPages * PageSize;
        for (int layer = 0; layer < model.Config.NumHiddenLayers; layer++)
        {
            foreach (var (withPadding, without) in new[] { (paddedCache.Keys(layer), unpaddedCache.Keys(layer)), (paddedCache.Values(layer), unpaddedCache.Values(layer)) })
            {
                Assert.True(withPadding.narrow(0, 0, realRows).eq(without.narrow(0, 0, realRows)).all().item<bool>(), $"layer {layer}: a padding row changed a real page");
                // A forward that writes the cache wrote the padding rows' K/V to the first scratch page, which nothing else writes.
                Assert.True(without.narrow(0, realRows, scratchRows).eq(0).all().item<bool>());
                Assert.Equal(writeCache, withPadding.narrow(0, realRows, PageSize).ne(0).any().item<bool>());
            }
        }
    }

    [Fact]
    public void A_padding_row_takes_the_first_requests_tokens_from_position_0_in_the_scratch_pages()
    {
        using var model = Create(42);
        using var cache = model.CreateCache(pages: 8, pageSize: PageSize);
        List<ForwardRequest> step = [new([2, 5], 8, Tokens(2 * BlockSize, 1)), new([1, 3], 8, Tokens(2 * BlockSize, 2))];

        var padded = PaddedBatch.Pad(step, 4, cache);

        Assert.Same(step[0], padded[0]);
        Assert.Same(step[1], padded[1]);
        Assert.All(padded.Skip(2), pad =>
        {
            Assert.Equal([8, 9], pad.PageTable);
            Assert.Equal(0, pad.Start);
            Assert.Equal(0, pad.Placeholders);
            Assert.Equal(step[0].TokenIds, pad.TokenIds);
        });
        Assert.Same(step, PaddedBatch.Pad(step, 2, cache));
    }

    [Fact]
    public void A_forward_longer_than_the_scratch_pages_is_not_padded()
    {
        using var model = Create(43);
        using var cache = model.CreateCache(pages: 8, pageSize: PageSize);
        List<ForwardRequest> prefill = [new([0, 1, 2], 0, Tokens(3 * PageSize, 3))];

        Assert.True(PaddedBatch.CanPad(cache, 2 * PageSize));
        Assert.False(PaddedBatch.CanPad(cache, 3 * PageSize));
        var error = Assert.Throws<ArgumentException>(() => PaddedBatch.Pad(prefill, 2, cache));
        Assert.Contains("needs 3 scratch pages, the cache has 2", error.Message);
    }
}
