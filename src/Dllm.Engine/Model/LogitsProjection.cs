using Dllm.Native;
using static TorchSharp.torch;

namespace Dllm.Model;

/// <summary>
/// The lm_head's projection of the final hidden states to logits, which stay in the model's dtype (bf16 for a bf16
/// checkpoint): the sampler's greedy kernel reads bf16 logits as they are, and what needs fp32 (sampling, the
/// algorithms' adjustments, torch's reductions) widens them exactly first (<see cref="LogitsWidening"/>). On CUDA with
/// the native piece the GEMM writes straight into its destination (<see cref="CudaNative.ProjectInto"/>): a CUDA graph's
/// logits land in the buffer the graphs share with no copy. At 256 requests of 32 positions and a 157,184-token
/// vocabulary that is one 2.6 GB bf16 buffer instead of a bf16 result, its fp32 widening (5.2 GB) and a pass over both.
/// </summary>
internal static class LogitsProjection
{
    /// <summary>Whether the logits keep the model's dtype (default true); false widens them to fp32 at the forward, the
    /// path before (the bench's <c>--bf16-logits false</c> measures it).</summary>
    public static bool KeepsModelDType { get; set; } = true;

    /// <summary>The dtype of the logits of a model computing in <paramref name="modelDType"/>.</summary>
    public static ScalarType DTypeFor(ScalarType modelDType) => KeepsModelDType ? modelDType : ScalarType.Float32;

    /// <summary><paramref name="hidden"/> [T, H] · <paramref name="lmHead"/> [V, H]ᵀ as <paramref name="dtype"/> logits
    /// (the hidden states' dtype, or fp32: the exact widening of those), into <paramref name="into"/> ([T, V]
    /// contiguous, of that dtype) when given. Returns the logits (<paramref name="into"/> itself when given).</summary>
    public static Tensor Project(Tensor hidden, Tensor lmHead, ScalarType dtype, Tensor? into = null)
    {
        if (dtype != hidden.dtype && dtype != ScalarType.Float32)
            throw new ArgumentException($"Logits are {hidden.dtype}, the hidden states' dtype, or fp32; {dtype} was asked for.", nameof(dtype));
        if (into is not null && into.dtype != dtype)
            throw new ArgumentException($"Expected a {dtype} logits buffer, got {into.dtype}.", nameof(into));
        if (dtype == hidden.dtype && CudaNative.Serves(hidden.device))
        {
            var target = into ?? empty([hidden.shape[0], lmHead.shape[0]], dtype, hidden.device);
            CudaNative.ProjectInto(hidden, lmHead, target);
            return target;
        }
        var projected = nn.functional.linear(hidden, lmHead);
        if (into is null)
        {
            if (projected.dtype == dtype)
                return projected;
            using (projected)
                return LogitsWidening.ToFloat(projected);
        }
        using (projected)
            LogitsWidening.Into(projected, into);
        return into;
    }
}
