using Dllm.Native;
using static TorchSharp.torch;

namespace Dllm.Model;

/// <summary>
/// When the grouped expert path's elementwise ends run as native kernels (<see cref="CudaNative.SwiGlu"/> for the
/// activation, <see cref="CudaNative.MoeCombine"/> for the weighted sum of each token's expert outputs plus the shared
/// expert's) instead of ops (silu and mul_; index_select, the weights' cast, a batched matmul and add_): bf16 tensors on
/// CUDA with the native piece and widths that are multiples of 8. The activation gives the ops' bits; the sum may differ
/// from cuBLAS's in the last bit of a bf16 output (another order of the k products; bench <c>--mode graph-check</c>).
/// </summary>
internal static class FusedExpertOps
{
    /// <summary>Whether tensors that qualify take the kernels (default true; the bench's <c>--fused-expert-ops false</c>
    /// measures the ops).</summary>
    public static bool Enabled { get; set; } = true;

    /// <summary>Whether rows of <paramref name="width"/> of <paramref name="x"/>'s dtype and device take the kernels.</summary>
    public static bool Applies(Tensor x, long width) =>
        Enabled && x.dtype == ScalarType.BFloat16 && width % 8 == 0 && CudaNative.Serves(x.device);

    /// <summary>silu(gate)·up of <paramref name="gateUp"/> [.., 2F]: one kernel where it applies, else the ops.</summary>
    public static Tensor Activate(Tensor gateUp, long width) =>
        Applies(gateUp, width) && gateUp.dim() == 2 && gateUp.is_contiguous()
            ? CudaNative.SwiGlu(gateUp)
            : SwiGluMlp.Activate(gateUp, width);

    /// <summary>Σⱼ wⱼ·outputⱼ per token over its k pairs, back in token order, plus <paramref name="shared"/> when given:
    /// <paramref name="outputs"/> [T·k, H] in sorted-pair order, <paramref name="rowOfPair"/> int64 [T·k] (each pair's
    /// row), <paramref name="weights"/> fp32 [T, k]. One kernel where it applies, else a batched matmul (fp32
    /// accumulation) and an add. Returns [T, H].</summary>
    public static Tensor Combine(Tensor outputs, Tensor rowOfPair, Tensor weights, Tensor? shared)
    {
        long tokens = weights.shape[0], k = weights.shape[1], hidden = outputs.shape[1];
        if (Applies(outputs, hidden) && outputs.is_contiguous() && (shared is null || shared.is_contiguous()))
            return CudaNative.MoeCombine(outputs, rowOfPair, weights.contiguous(), shared);
        var byToken = outputs.index_select(0, rowOfPair).view(tokens, k, hidden);
        var result = weights.to(outputs.dtype).unsqueeze(1).bmm(byToken).view(tokens, hidden);
        return shared is null ? result : result.add_(shared);
    }
}
