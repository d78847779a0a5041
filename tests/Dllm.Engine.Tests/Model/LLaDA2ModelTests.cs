using Dllm.Model;
using Dllm.Runner;
using Dllm.Tests.Infrastructure;
using Dllm.Tests.Reference;
using TorchSharp;

namespace Dllm.Tests.Model;

public class LLaDA2ModelTests
{
    private const int BlockSize = 8;

    private static (LLaDA2Config Config, ReferenceWeights Weights, LLaDA2Model Model) Create(int seed, int vocab = 64, int layers = 2)
    {
        Torch.EnsureLoaded();
        var config = LLaDA2Shapes.Tiny(vocabSize: vocab, layers: layers) with { MaxPositionEmbeddings = 256 };
        var weights = ReferenceWeights.Random(config, seed);
        var model = LLaDA2Model.Load(config, new ReferenceWeightSource(weights), torch.ScalarType.Float32, torch.CPU);
        return (config, weights, model);
    }

    private static int[] Tokens(int count, int seed, int vocab = 64)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.Next(vocab)).ToArray();
    }

    [Theory]
    [InlineData(1, 16)]   // two whole blocks
    [InlineData(2, 21)]   // a partial last block
    [InlineData(3, 5)]    // shorter than one block
    [InlineData(4, 40)]
    public void Whole_sequence_forward_matches_the_float64_reference(int seed, int length)
    {
        var (config, weights, model) = Create(seed);
        using var _ = model;
        using var cache = model.CreateCache(pages: 1, pageSize: 64);
        int[] tokens = Tokens(length, seed);

        using var logits = model.RunForward([new ForwardRequest(0, 0, tokens)], cache, BlockSize, writeCache: false)!;

        Assert.Equal([1L, length, config.VocabSize], logits.shape);
        ModelAssert.Close(logits[0], ReferenceLLaDA2.Forward(config, weights, tokens, BlockSize));
    }

    [Theory]
    [InlineData(5, 16, 8)]   // prefix of whole blocks, then one block
    [InlineData(6, 24, 8)]
    [InlineData(7, 8, 5)]    // the block holding a prompt's tail: prompt tokens + masks, fewer than B new here
    public void Cached_forward_of_a_block_equals_the_forward_of_the_whole_sequence(int seed, int prefix, int blockTokens)
    {
        var (config, weights, model) = Create(seed);
        using var _ = model;
        using var cache = model.CreateCache(pages: 2, pageSize: 64);
        int[] tokens = Tokens(prefix + blockTokens, seed);

        var none = model.RunForward([new ForwardRequest(1, 0, tokens[..prefix])], cache, BlockSize, writeCache: true, computeLogits: false);
        using var logits = model.RunForward([new ForwardRequest(1, prefix, tokens[prefix..])], cache, BlockSize, writeCache: false)!;

        Assert.Null(none);
        var expected = ReferenceLLaDA2.ForwardRange(config, weights, tokens, BlockSize, prefix, prefix + blockTokens);
        ModelAssert.Close(logits[0], expected);
    }

    [Fact]
    public void Prefill_in_one_forward_equals_prefill_block_by_block()
    {
        var (_, _, model) = Create(8);
        using var __ = model;
        using var oneShot = model.CreateCache(1, 64);
        using var blockwise = model.CreateCache(1, 64);
        int[] tokens = Tokens(32, 8);

        model.RunForward([new ForwardRequest(0, 0, tokens[..24])], oneShot, BlockSize, writeCache: true, computeLogits: false);
        for (int start = 0; start < 24; start += BlockSize)
            model.RunForward([new ForwardRequest(0, start, tokens[start..(start + BlockSize)])], blockwise, BlockSize, writeCache: true, computeLogits: false);
        using var a = model.RunForward([new ForwardRequest(0, 24, tokens[24..])], oneShot, BlockSize, writeCache: false)!;
        using var b = model.RunForward([new ForwardRequest(0, 24, tokens[24..])], blockwise, BlockSize, writeCache: false)!;

        Assert.True(ModelAssert.MaxAbsDifference(a, b) < 1e-5);
    }

    [Fact]
    public void A_batch_of_requests_with_different_prefixes_equals_each_request_alone()
    {
        var (config, weights, model) = Create(9);
        using var _ = model;
        using var cache = model.CreateCache(pages: 3, pageSize: 64);
        int[][] sequences = [Tokens(8 + 8, 91), Tokens(24 + 8, 92), Tokens(0 + 8, 93)];
        int[] prefixes = [8, 24, 0];
        for (int slot = 0; slot < 3; slot++)
        {
            if (prefixes[slot] > 0)
                model.RunForward([new ForwardRequest(slot, 0, sequences[slot][..prefixes[slot]])], cache, BlockSize, writeCache: true, computeLogits: false);
        }

        var batch = Enumerable.Range(0, 3).Select(s => new ForwardRequest(s, prefixes[s], sequences[s][prefixes[s]..])).ToList();
        using var logits = model.RunForward(batch, cache, BlockSize, writeCache: false)!;

        for (int slot = 0; slot < 3; slot++)
        {
            var expected = ReferenceLLaDA2.ForwardRange(config, weights, sequences[slot], BlockSize, prefixes[slot], prefixes[slot] + 8);
            ModelAssert.Close(logits[slot], expected);
        }
    }

    [Fact]
    public void Both_MoE_paths_give_the_same_logits()
    {
        var (_, _, model) = Create(10, layers: 3);
        using var _ = model;
        using var cache = model.CreateCache(1, 128);
        int[] tokens = Tokens(96, 10);

        using var all = model.RunForward([new ForwardRequest(0, 0, tokens)], cache, BlockSize, writeCache: false, moePath: MoePath.AllExperts)!;
        using var grouped = model.RunForward([new ForwardRequest(0, 0, tokens)], cache, BlockSize, writeCache: false, moePath: MoePath.GroupedByExpert)!;

        using var scale = all.abs().max();
        Assert.True(ModelAssert.MaxAbsDifference(all, grouped) / scale.item<float>() < 1e-5);
    }

    [Fact]
    public void Bfloat16_forward_stays_close_to_the_reference()
    {
        Torch.EnsureLoaded();
        var config = LLaDA2Shapes.Tiny(vocabSize: 64, layers: 2) with { MaxPositionEmbeddings = 256 };
        var weights = ReferenceWeights.Random(config, 11).RoundedTo("BF16");
        using var model = LLaDA2Model.Load(config, new ReferenceWeightSource(weights), torch.ScalarType.BFloat16, torch.CPU);
        using var cache = model.CreateCache(1, 64);
        int[] tokens = Tokens(16, 11);

        using var logits = model.RunForward([new ForwardRequest(0, 0, tokens)], cache, BlockSize, writeCache: false)!;

        Assert.Equal(torch.ScalarType.BFloat16, logits.dtype); // the model's dtype: the sampler widens what it needs
        double error = ModelAssert.MaxRelativeError(logits[0], ReferenceLLaDA2.Forward(config, weights, tokens, BlockSize));
        Assert.InRange(error, 1e-6, 5e-2); // bf16 rounding is visible but small
    }

    [Fact]
    public void Out_of_vocabulary_ids_unknown_pages_and_positions_beyond_the_pages_are_named()
    {
        var (_, _, model) = Create(12);
        using var _ = model;
        using var cache = model.CreateCache(1, 64);

        var badId = Assert.Throws<ArgumentOutOfRangeException>(() => model.RunForward([new ForwardRequest(0, 0, [1, 64])], cache, BlockSize, false));
        var badSlot = Assert.Throws<ArgumentOutOfRangeException>(() => model.RunForward([new ForwardRequest(3, 0, [1])], cache, BlockSize, false));
        var tooLong = Assert.Throws<ArgumentException>(() => model.RunForward([new ForwardRequest(0, 60, [1, 2, 3, 4, 5])], cache, BlockSize, false));

        Assert.Contains("token id 64 is outside the vocabulary (0..63)", badId.Message);
        Assert.Contains("page 3 is not in the cache (0..0)", badSlot.Message);
        Assert.Contains("would reach position 65, beyond its 1 page(s) of 64 positions", tooLong.Message);
    }
}
