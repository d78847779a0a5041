using Dllm.Training.Objective;

namespace Dllm.Training.Tests;

public sealed class LengthBucketSamplerTests
{
    private static TrainingSequence Sequence(int id, int length) => new($"s{id}", [.. Enumerable.Repeat(id, length)], 4);

    [Fact]
    public void Batches_hold_one_length_within_the_token_budget_and_draw_every_sequence_equally_often()
    {
        var sequences = Enumerable.Range(0, 90).Select(i => Sequence(i, 32)).Concat(Enumerable.Range(90, 10).Select(i => Sequence(i, 128))).ToList();
        var sampler = new LengthBucketSampler(sequences, tokenBudget: 512);
        var random = new Random(1);
        var draws = new int[100];
        for (int step = 0; step < 6000; step++)
        {
            var batch = sampler.Next(random);
            int length = batch[0].Tokens.Length;
            Assert.All(batch, s => Assert.Equal(length, s.Tokens.Length));
            Assert.Equal(512 / length, batch.Count);
            foreach (var s in batch)
                draws[s.Tokens[0]]++;
        }
        double shortRate = draws.Take(90).Average(), longRate = draws.Skip(90).Average();
        Assert.InRange(longRate / shortRate, 0.85, 1.15);
    }

    [Fact]
    public void Chunks_cover_every_sequence_once_in_batches_of_one_length()
    {
        var sequences = Enumerable.Range(0, 7).Select(i => Sequence(i, 32)).Concat(Enumerable.Range(7, 3).Select(i => Sequence(i, 96))).ToList();
        var chunks = LengthBucketSampler.Chunks(sequences, tokenBudget: 100).ToList();
        Assert.Equal(Enumerable.Range(0, 10), chunks.SelectMany(c => c.Select(s => s.Tokens[0])).Order());
        Assert.All(chunks, c => Assert.Single(c.Select(s => s.Tokens.Length).Distinct()));
        Assert.Equal([3, 3, 1, 1, 1, 1], chunks.Select(c => c.Count));
    }

    [Fact]
    public void The_batch_mask_is_one_block_causal_mask_for_every_sequence()
    {
        var sequences = new[] { Sequence(1, 8), Sequence(2, 8) };
        var batch = BlockDiffusionBatch.Build(sequences, blockSize: 4, maskTokenId: 99, padTokenId: 98, new Random(3));
        Assert.Equal(16 * 16, batch.Mask.Length);
        bool Visible(int q, int k) => batch.Mask[q * 16 + k];
        Assert.True(Visible(5, 4) && Visible(5, 7) && !Visible(5, 3));          // noisy block 1 sees itself, not noisy block 0
        Assert.True(Visible(5, 8 + 3) && !Visible(5, 8 + 4));                  // and the clean block before it only
        Assert.True(Visible(8 + 5, 8 + 0) && Visible(8 + 5, 8 + 7) && !Visible(8 + 5, 5)); // clean: block-causal over clean
        Assert.Equal(2 * 16, batch.TokenIds.Length);
    }
    [Fact]
    public void A_full_mask_fraction_masks_whole_blocks_and_zero_draws_the_plain_noise()
    {
        var sequences = Enumerable.Range(0, 40).Select(i => Sequence(i, 16)).ToArray();
        var plain = BlockDiffusionBatch.Build(sequences, blockSize: 4, maskTokenId: 99, padTokenId: 98, new Random(5));
        var zero = BlockDiffusionBatch.Build(sequences, blockSize: 4, maskTokenId: 99, padTokenId: 98, new Random(5), fullMaskFraction: 0);
        Assert.Equal(plain.TokenIds, zero.TokenIds);
        Assert.Equal(plain.Weights, zero.Weights);

        var whole = BlockDiffusionBatch.Build(sequences, blockSize: 4, maskTokenId: 99, padTokenId: 98, new Random(5), fullMaskFraction: 1);
        Assert.Equal(whole.ResponseTokens, whole.MaskedIndices.Length);                 // every response token masked
        Assert.All(whole.Weights, w => Assert.Equal(1f, w));                            // at t = 1
        var half = BlockDiffusionBatch.Build(sequences, blockSize: 4, maskTokenId: 99, padTokenId: 98, new Random(5), fullMaskFraction: 0.5);
        Assert.InRange(half.Weights.Count(w => w == 1f), whole.MaskedIndices.Length / 4, whole.MaskedIndices.Length * 3 / 4);
        Assert.Throws<ArgumentOutOfRangeException>(() => BlockDiffusionBatch.Build(sequences, 4, 99, 98, new Random(5), fullMaskFraction: 1.5));
    }
}
