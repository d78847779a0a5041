using TorchSharp;

namespace Dllm.Decoding;

/// <summary>
/// SGLang's <c>JointThreshold</c> (LLaDA2.1 token editing). Each step, in one pass over the proposals:
/// <list type="bullet">
/// <item>edit: every slot that was already filled before this step (not a prompt slot) whose proposal differs from
/// its token and whose confidence is strictly greater than <see cref="JointThresholdOptions.EditThreshold"/> is
/// rewritten (a proposal equal to the mask id is never written into a filled slot);</item>
/// <item>fill: while masks remain, masked slots are committed as <see cref="LowConfidenceAlgorithm"/> does with
/// <see cref="JointThresholdOptions.Threshold"/> (at least one per step).</item>
/// </list>
/// Stop rule: a step that starts with no mask left is a post-edit step and increments
/// <see cref="BlockState.PostEditSteps"/>. After a step, the block is resolved when no mask remains and either the
/// step changed nothing or <see cref="BlockState.PostEditSteps"/> has reached
/// <see cref="JointThresholdOptions.MaxPostEditSteps"/>. So a block takes at most B + MaxPostEditSteps steps; with
/// MaxPostEditSteps = 0 it ends when its last mask is filled; a fill step that fills the last mask never ends the
/// block by "changing nothing" (it changed the mask). This applies the same edits as SGLang, whose extra forward
/// that finds nothing to do (or the exhausted budget) is the engine's clean-K/V forward here.
/// </summary>
public sealed class JointThresholdAlgorithm : IDiffusionAlgorithm
{
    /// <summary>The registry name.</summary>
    public const string AlgorithmName = "JointThreshold";

    /// <summary>Creates the algorithm.</summary>
    /// <exception cref="AlgorithmConfigException">An option is out of range.</exception>
    public JointThresholdAlgorithm(JointThresholdOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
    }

    /// <inheritdoc />
    public bool AdjustsLogits => Options.PenaltyLambda > 0;

    /// <summary>The settings.</summary>
    public JointThresholdOptions Options { get; }

    /// <inheritdoc />
    public string Name => AlgorithmName;

    /// <inheritdoc />
    public int BlockSize => Options.BlockSize;

    /// <inheritdoc />
    /// <returns>Null when <see cref="JointThresholdOptions.PenaltyLambda"/> is 0; otherwise a new fp32 [R, B, V]
    /// tensor (owned by the caller; <paramref name="logits"/> is not modified) with lambda subtracted at
    /// [r, b, previousTokens[r, b]], computed with one scatter_add on the logits' device.</returns>
    public torch.Tensor? AdjustLogits(torch.Tensor logits, torch.Tensor previousTokens)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(previousTokens);
        if (Options.PenaltyLambda <= 0)
            return null;
        if (logits.dim() != 3 || previousTokens.dim() != 2 || previousTokens.shape[0] != logits.shape[0] || previousTokens.shape[1] != logits.shape[1])
        {
            throw new ArgumentException(
                $"Expected logits [R, B, V] and previousTokens [R, B], got [{string.Join(", ", logits.shape)}] and [{string.Join(", ", previousTokens.shape)}].");
        }
        using var scope = torch.NewDisposeScope();
        using var penalty = (-Options.PenaltyLambda).ToScalar();
        var index = previousTokens.to(torch.int64, logits.device).unsqueeze(-1);
        var source = torch.full(index.shape, penalty, logits.dtype, logits.device);
        return logits.scatter_add(2, index, source).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public bool Step(BlockState block, ReadOnlySpan<int> proposedTokens, ReadOnlySpan<float> confidences)
    {
        MaskFilling.CheckLengths(block, proposedTokens, confidences);
        block.LastStepChanges = 0;
        bool hasMask = block.MaskedCount > 0;
        if (!hasMask)
        {
            if (block.PostEditSteps >= Options.MaxPostEditSteps)
                return true;
            block.PostEditSteps++;
        }
        int edited = Edit(block, proposedTokens, confidences);
        int filled = hasMask ? MaskFilling.Fill(block, proposedTokens, confidences, Options.Threshold) : 0;
        block.Edits += edited;
        block.LastStepChanges = edited + filled;
        block.Steps++;
        return block.MaskedCount == 0 && (block.LastStepChanges == 0 || block.PostEditSteps >= Options.MaxPostEditSteps);
    }

    /// <summary>Rewrites the filled non-prompt slots whose confident proposal differs; returns how many.</summary>
    private int Edit(BlockState block, ReadOnlySpan<int> proposedTokens, ReadOnlySpan<float> confidences)
    {
        float limit = (float)Options.EditThreshold;
        int[] slots = block.Tokens;
        int edited = 0;
        for (int i = block.FixedCount; i < slots.Length; i++)
        {
            int proposal = proposedTokens[i];
            if (slots[i] != block.MaskTokenId && proposal != slots[i] && proposal != block.MaskTokenId && confidences[i] > limit)
            {
                slots[i] = proposal;
                edited++;
            }
        }
        return edited;
    }
}
