using Dllm.Native;
using static TorchSharp.torch;

namespace Dllm.Model;

/// <summary>
/// When an attention layer runs its qk-norm, rotary embedding and K/V cache store as one native kernel
/// (<see cref="CudaNative.QkRopeStore"/>) instead of about a dozen ops (the norm kernel, seven for the rotation, two
/// copies and two index copies): a bf16 model on CUDA with the native piece and a head dimension of at most 256. The
/// kernel rounds as the ops do, so both paths give the same bits (bench <c>--mode graph-check</c>).
/// </summary>
internal static class QkRopeStore
{
    /// <summary>Whether forwards that qualify use the kernel (default true; the bench's <c>--fused-rope false</c>
    /// measures the op path).</summary>
    public static bool Enabled { get; set; } = true;

    /// <summary>The largest head dimension the kernel takes.</summary>
    internal const int MaxHeadDim = 256;

    /// <summary>Whether the projection <paramref name="qkv"/> of heads of <paramref name="headDim"/> uses the kernel.</summary>
    public static bool Applies(Tensor qkv, int headDim) =>
        Enabled && qkv.dtype == ScalarType.BFloat16 && headDim <= MaxHeadDim && CudaNative.Serves(qkv.device);
}
