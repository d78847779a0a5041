using Dllm.Decoding;

namespace Dllm.Tests.Decoding;

public class LowConfidenceAlgorithmTests
{
    private static LowConfidenceAlgorithm Create(double threshold) => new(new LowConfidenceOptions { Threshold = threshold });

    [Theory]
    [InlineData(0.95)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void A_confidence_equal_to_the_threshold_is_not_committed_and_one_above_is(double threshold)
    {
        var block = Blocks.Create(6, 1, 2);
        float at = (float)threshold, above = MathF.BitIncrement(at);
        int[] proposals = [7, 7, 10, 11, 12, 13];

        bool done = Create(threshold).Step(block, proposals, [1f, 1f, at, above, 0.1f, above]);

        Assert.False(done);
        Assert.Equal([1, 2, Blocks.Mask, 11, Blocks.Mask, 13], block.Tokens);
        Assert.Equal(2, block.Committed);
        Assert.Equal(1, block.Steps);
    }

    [Fact]
    public void When_none_passes_exactly_the_most_confident_masked_slot_is_committed()
    {
        var block = Blocks.Create(6, 1);
        bool done = Create(0.95).Step(block, [5, 10, 11, 12, 13, 14], [1f, 0.3f, 0.6f, 0.2f, 0.6f, 0.5f]);

        Assert.False(done);
        Assert.Equal([1, Blocks.Mask, 11, Blocks.Mask, Blocks.Mask, Blocks.Mask], block.Tokens); // tie 0.6: lowest index
        Assert.Equal(1, block.Committed);
    }

    [Fact]
    public void Prompt_slots_and_committed_slots_never_change()
    {
        var algorithm = Create(0.5);
        var block = Blocks.Create(5, 1, 2);
        algorithm.Step(block, [8, 8, 20, 8, 8], [1f, 1f, 0.9f, 0.1f, 0.1f]);

        bool done = algorithm.Step(block, [30, 31, 32, 33, 34], Blocks.Uniform(5, 1f));

        Assert.True(done);
        Assert.Equal([1, 2, 20, 33, 34], block.Tokens);
        Assert.Equal(3, block.Committed);
        Assert.Equal(2, block.Steps);
    }

    [Fact]
    public void Resolves_every_block_within_B_steps_and_returns_true_only_when_no_mask_remains()
    {
        var algorithm = Create(0.95);
        var block = Blocks.Create(8, 1);
        int steps = 0;
        while (!algorithm.Step(block, [0, 1, 2, 3, 4, 5, 6, 7], Blocks.Uniform(8, 0.1f)))
        {
            Assert.NotEqual(0, block.MaskedCount);
            steps++;
        }
        Assert.Equal(7, block.Steps);
        Assert.Equal(6, steps);
        Assert.Equal(0, block.MaskedCount);
        Assert.Equal(7, block.Committed);
        Assert.Equal([1, 1, 2, 3, 4, 5, 6, 7], block.Tokens);
        Assert.True(algorithm.Step(block, Blocks.Same(8, 3), Blocks.Uniform(8, 1f)));
        Assert.Equal(7, block.Steps);
    }

    [Fact]
    public void Adjust_logits_is_null_and_the_defaults_match_SGLang()
    {
        var algorithm = new LowConfidenceAlgorithm(new LowConfidenceOptions());
        Assert.Equal(0.95, algorithm.Options.Threshold);
        Assert.Equal(32, algorithm.BlockSize);
        Assert.Equal("LowConfidence", algorithm.Name);
        Assert.Null(algorithm.AdjustLogits(null!, null!));
    }

    [Fact]
    public void Rejects_proposals_of_the_wrong_length_and_invalid_options()
    {
        var block = Blocks.Create(4, 1);
        Assert.Throws<ArgumentException>(() => Create(0.5).Step(block, [1, 2, 3], Blocks.Uniform(4, 1f)));
        var error = Assert.Throws<AlgorithmConfigException>(() => Create(1.5));
        Assert.Contains("'threshold'", error.Message, StringComparison.Ordinal);
    }
}
