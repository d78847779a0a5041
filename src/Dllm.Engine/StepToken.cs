namespace Dllm;

/// <summary>A token a denoising step wrote into its block (see <see cref="DenoisingStep"/>).</summary>
/// <param name="Position">Its position within the output (0 = the first generated token). The finish rules may cut the
/// output inside the last block, so a position at or past the final output's length was generated but not kept.</param>
/// <param name="TokenId">The token id.</param>
/// <param name="Text">The token decoded alone (special tokens shown; a piece of a multi-byte character reads as U+FFFD).</param>
/// <param name="Confidence">The sampler's confidence in it (the value the algorithm compared with its threshold).</param>
public sealed record StepToken(int Position, int TokenId, string Text, float Confidence);
