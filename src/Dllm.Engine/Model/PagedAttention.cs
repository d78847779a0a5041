using Dllm.Native;
using Dllm.Runner;
using static TorchSharp.torch;

namespace Dllm.Model;

/// <summary>
/// When attention reads the paged K/V cache in place with the native kernel (<see cref="CudaNative.PagedAttention"/>)
/// instead of gathering each request's prefix rows into a copy for SDPA: a bf16 model on CUDA with the native piece,
/// head dimension 32, 64 or 128, a forward with a cached prefix and a mask (every captured forward has one). On by
/// default: on an H200 it matches the gather path (bench <c>--mode paged-attention-check</c>) and one attention layer at
/// an 8192-token prefix × 16 requests takes 0.16 ms against 1.29 ms for the gather + SDPA (docs/benchmarks.md).
/// </summary>
internal static class PagedAttention
{
    /// <summary>Whether forwards that qualify use the kernel (default true; the bench's <c>--paged-attention false</c>
    /// measures the gather path).</summary>
    public static bool Enabled { get; set; } = true;

    /// <summary>Whether a forward of <paramref name="batch"/> over <paramref name="cache"/> on <paramref name="device"/>
    /// uses the kernel.</summary>
    public static bool Applies(BatchGeometry batch, KvCache? cache, LLaDA2Config config, ScalarType dtype, Device device) =>
        Enabled && cache is not null && batch.ReadRows is not null && batch.PrefixLengths is not null && dtype == ScalarType.BFloat16
        && config.HeadDim is 32 or 64 or 128 && CudaNative.Serves(device);
}
