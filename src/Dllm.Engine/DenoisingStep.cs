namespace Dllm;

/// <summary>
/// One denoising step of one request (<see cref="GenerateRequest.ReturnSteps"/>): the block positions it committed
/// (masked slots it filled) and rewrote (editing algorithms), and the masks left in the block after it.
/// </summary>
public sealed record DenoisingStep
{
    /// <summary>The request's denoising step number, from 1 (the <see cref="GenerationUpdate.DenoisingSteps"/> count after it).</summary>
    public required int Step { get; init; }

    /// <summary>The masked slots this step filled, in position order.</summary>
    public required IReadOnlyList<StepToken> Committed { get; init; }

    /// <summary>The filled slots this step rewrote (only editing algorithms such as <c>JointThreshold</c> rewrite), in position order.</summary>
    public required IReadOnlyList<StepToken> Edited { get; init; }

    /// <summary>Masked slots left in the block after this step.</summary>
    public required int MasksLeft { get; init; }
}
