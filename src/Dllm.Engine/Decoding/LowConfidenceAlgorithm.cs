using TorchSharp;

namespace Dllm.Decoding;

/// <summary>
/// SGLang's <c>LowConfidence</c>: each step commits every masked slot whose confidence is strictly greater than
/// <see cref="LowConfidenceOptions.Threshold"/>, or, if none is, the single most confident masked slot (ties: the
/// lowest index). Prompt slots and committed slots are never changed. A block takes 1..B steps.
/// </summary>
public sealed class LowConfidenceAlgorithm : IDiffusionAlgorithm
{
    /// <summary>The registry name.</summary>
    public const string AlgorithmName = "LowConfidence";

    /// <summary>Creates the algorithm.</summary>
    /// <exception cref="AlgorithmConfigException">An option is out of range.</exception>
    public LowConfidenceAlgorithm(LowConfidenceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
    }

    /// <summary>The settings.</summary>
    public LowConfidenceOptions Options { get; }

    /// <inheritdoc />
    public string Name => AlgorithmName;

    /// <inheritdoc />
    public int BlockSize => Options.BlockSize;

    /// <inheritdoc />
    /// <returns>Always null: the logits are used as they are.</returns>
    public bool AdjustsLogits => false;

    /// <inheritdoc />
    public torch.Tensor? AdjustLogits(torch.Tensor logits, torch.Tensor previousTokens) => null;

    /// <inheritdoc />
    /// <remarks>A block with no mask left is resolved without counting a step.</remarks>
    public bool Step(BlockState block, ReadOnlySpan<int> proposedTokens, ReadOnlySpan<float> confidences)
    {
        MaskFilling.CheckLengths(block, proposedTokens, confidences);
        block.LastStepChanges = 0;
        if (block.MaskedCount == 0)
            return true;
        block.LastStepChanges = MaskFilling.Fill(block, proposedTokens, confidences, Options.Threshold);
        block.Steps++;
        return block.MaskedCount == 0;
    }
}
