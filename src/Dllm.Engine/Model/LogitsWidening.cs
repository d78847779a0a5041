using Dllm.Native;
using static TorchSharp.torch;

namespace Dllm.Model;

/// <summary>
/// The lm_head's logits to fp32 where fp32 is needed (sampled requests, the algorithms' adjustments, torch's reductions,
/// the bench's <c>--bf16-logits false</c>; <see cref="LogitsProjection"/>): for bf16 logits on CUDA with the native piece one
/// vectorized kernel (<see cref="CudaNative.Widen"/>; torch's casting copy is not vectorized and ran at half the memory's
/// speed: 0.23 ms a batch-16 step on an H200), else torch's copy. The conversion is exact, so both give the same bits.
/// </summary>
internal static class LogitsWidening
{
    /// <summary>Whether bf16 logits on CUDA take the kernel (default true; the bench's <c>--widen-kernel false</c>
    /// measures torch's copy).</summary>
    public static bool Enabled { get; set; } = true;

    /// <summary><paramref name="target"/> (fp32) = <paramref name="logits"/>, of one shape.</summary>
    public static void Into(Tensor logits, Tensor target)
    {
        if (Applies(logits, target))
            CudaNative.Widen(logits, target);
        else
            target.copy_(logits);
    }

    /// <summary><paramref name="logits"/> as a new fp32 tensor.</summary>
    public static Tensor ToFloat(Tensor logits)
    {
        if (logits.dtype == ScalarType.Float32)
            return logits.alias();
        var result = empty(logits.shape, ScalarType.Float32, logits.device);
        Into(logits, result);
        return result;
    }

    private static bool Applies(Tensor logits, Tensor target) =>
        Enabled && logits.dtype == ScalarType.BFloat16 && target.dtype == ScalarType.Float32 && logits.is_contiguous() && target.is_contiguous()
        && CudaNative.Serves(logits.device);
}
