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
}
