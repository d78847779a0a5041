using Dllm.Decoding;

namespace Dllm.Tests.Decoding;

public class JointThresholdAlgorithmTests
{
    private static JointThresholdAlgorithm Create(double editThreshold = 0, int maxPostEditSteps = 16) =>
        new(new JointThresholdOptions { EditThreshold = editThreshold, MaxPostEditSteps = maxPostEditSteps });

    [Fact]
    public void Fills_masks_above_the_threshold_like_LowConfidence()
    {
        var block = Blocks.Create(5, 1);
        bool done = Create().Step(block, [9, 10, 11, 12, 13], [1f, 0.5f, 0.51f, 0.2f, 0.9f]);

        Assert.False(done);
        Assert.Equal([1, Blocks.Mask, 11, Blocks.Mask, 13], block.Tokens);
        Assert.Equal(2, block.Committed);
        Assert.Equal(0, block.Edits);
        Assert.Equal(0, block.PostEditSteps);
    }

    [Fact]
    public void Edits_a_filled_slot_when_confident_and_different_but_never_a_prompt_slot()
    {
        var algorithm = Create(editThreshold: 0.8);
        var block = Blocks.Create(6, 1);
        algorithm.Step(block, [9, 10, 11, 12, 13, 14], [1f, 0.9f, 0.9f, 0.1f, 0.1f, 0.1f]);
        Assert.Equal([1, 10, 11, Blocks.Mask, Blocks.Mask, Blocks.Mask], block.Tokens);

        // slot 0: prompt, never edited; slot 1: different and confident -> edited;
        // slot 2: different, confidence equal to edit_threshold -> kept; slot 3: masked, filled.
        bool done = algorithm.Step(block, [50, 20, 21, 22, 13, 14], [1f, 0.81f, 0.8f, 0.9f, 0.1f, 0.1f]);

        Assert.False(done);
        Assert.Equal([1, 20, 11, 22, Blocks.Mask, Blocks.Mask], block.Tokens);
        Assert.Equal(1, block.Edits);
        Assert.Equal(3, block.Committed);
        Assert.Equal(2, block.LastStepChanges);
    }

    [Fact]
    public void The_block_ends_at_the_first_post_edit_step_that_changes_nothing()
    {
        var algorithm = Create();
        var block = Blocks.Create(4, 1);
        int[] proposals = [1, 10, 11, 12];

        Assert.False(algorithm.Step(block, proposals, Blocks.Uniform(4, 0.9f)));   // fills the last masks
        Assert.Equal(0, block.MaskedCount);
        Assert.False(algorithm.Step(block, [1, 10, 30, 12], Blocks.Uniform(4, 0.9f))); // post-edit step 1: one edit
        Assert.True(algorithm.Step(block, [1, 10, 30, 12], Blocks.Uniform(4, 0.9f)));  // post-edit step 2: nothing to do

        Assert.Equal([1, 10, 30, 12], block.Tokens);
        Assert.Equal(2, block.PostEditSteps);
        Assert.Equal(3, block.Steps);
        Assert.Equal(0, block.LastStepChanges);
    }

    [Fact]
    public void Max_post_edit_steps_caps_the_steps_after_the_last_mask_is_filled()
    {
        var algorithm = Create(maxPostEditSteps: 3);
        var block = Blocks.Create(3, 1);
        Assert.False(algorithm.Step(block, [1, 10, 11], Blocks.Uniform(3, 0.9f)));

        bool[] done = Enumerable.Range(0, 3)
            .Select(i => algorithm.Step(block, [1, 20 + i, 30 + i], Blocks.Uniform(3, 0.9f)))
            .ToArray();

        Assert.Equal([false, false, true], done);
        Assert.Equal(3, block.PostEditSteps);
        Assert.Equal([1, 22, 32], block.Tokens);
        Assert.True(algorithm.Step(block, [1, 40, 40], Blocks.Uniform(3, 0.9f))); // budget spent: no further change
        Assert.Equal([1, 22, 32], block.Tokens);
        Assert.Equal(4, block.Steps);
    }

    [Fact]
    public void With_no_post_edit_budget_the_block_ends_when_its_last_mask_is_filled()
    {
        var algorithm = Create(maxPostEditSteps: 0);
        var block = Blocks.Create(4, 1);
        Assert.False(algorithm.Step(block, [1, 10, 11, 12], [1f, 0.9f, 0.1f, 0.1f]));
        Assert.False(algorithm.Step(block, [1, 10, 11, 12], [1f, 0.9f, 0.9f, 0.1f]));
        Assert.True(algorithm.Step(block, [1, 10, 11, 12], [1f, 0.9f, 0.9f, 0.1f]));
        Assert.Equal(0, block.PostEditSteps);
    }

    [Fact]
    public void A_filled_slot_is_never_rewritten_with_the_mask_id()
    {
        var algorithm = Create();
        var block = Blocks.Create(3, 1);
        algorithm.Step(block, [1, 10, 11], Blocks.Uniform(3, 0.9f));
        Assert.True(algorithm.Step(block, [1, Blocks.Mask, 11], Blocks.Uniform(3, 0.99f)));
        Assert.Equal([1, 10, 11], block.Tokens);
    }

    [Fact]
    public void Defaults_match_SGLang()
    {
        var options = new JointThresholdOptions();
        Assert.Equal((0.5, 0.0, 16, 0.0, 32), (options.Threshold, options.EditThreshold, options.MaxPostEditSteps, options.PenaltyLambda, options.BlockSize));
    }
}
