using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Training.Objective;

/// <summary>The loss of a <see cref="BlockDiffusionBatch"/>: Σ (1/t) · CE at the masked positions / response tokens.</summary>
public static class BlockDiffusionLoss
{
    /// <summary>The scalar loss from logits [B, 2L, V] of the batch's forward.</summary>
    public static Tensor Compute(Tensor logits, BlockDiffusionBatch batch)
    {
        var device = logits.device;
        if (batch.MaskedIndices.Length == 0)
            return logits.sum().mul(0.0);
        using var indices = tensor(batch.MaskedIndices, device: device);
        using var targets = tensor(batch.Targets, device: device);
        using var weights = tensor(batch.Weights, device: device);
        var flat = logits.view(-1, logits.shape[^1]).index_select(0, indices);
        var losses = nn.functional.cross_entropy(flat, targets, reduction: nn.Reduction.None);
        return losses.mul(weights).sum().div(Math.Max(1, batch.ResponseTokens));
    }
}
