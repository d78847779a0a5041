using TorchSharp;

namespace Dllm.Decoding;

/// <summary>
/// A block-diffusion decoding rule (SGLang's <c>--dllm-algorithm</c>). Each denoising step the engine runs the
/// model over every running request's block, lets <see cref="AdjustLogits"/> change the logits on the device,
/// samples one proposal (token + confidence) per block position, copies the proposals to the host in one
/// transfer, and asks <see cref="Step"/> which positions of each block to commit or rewrite.
/// An algorithm sees logits and proposals, never the model. A new algorithm is one class + its options,
/// registered by name in <c>DiffusionAlgorithms</c>.
/// </summary>
public interface IDiffusionAlgorithm
{
    /// <summary>The name used on the command line (e.g. <c>LowConfidence</c>).</summary>
    string Name { get; }

    /// <summary>The block size B (tokens per block, blocks at absolute positions that are multiples of B).</summary>
    int BlockSize { get; }

    /// <summary>True when <see cref="AdjustLogits"/> may change logits; false lets the engine skip building its inputs.</summary>
    bool AdjustsLogits { get; }

    /// <summary>Optionally changes the logits before sampling (e.g. a repetition penalty); returns null to leave
    /// them unchanged. <paramref name="logits"/>: fp32 [R, B, V]; <paramref name="previousTokens"/>: int64 [R, B],
    /// the token just before each position (the prompt's last token before a block's first slot).</summary>
    torch.Tensor? AdjustLogits(torch.Tensor logits, torch.Tensor previousTokens);

    /// <summary>Decides one step of one request's block from the proposals, mutating <paramref name="block"/>.</summary>
    /// <returns>True when the block is resolved (nothing left to do for it).</returns>
    bool Step(BlockState block, ReadOnlySpan<int> proposedTokens, ReadOnlySpan<float> confidences);
}
