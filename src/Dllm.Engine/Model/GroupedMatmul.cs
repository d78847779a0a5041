using Dllm.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Model;

/// <summary>A grouped matrix product: rows <c>ends[g-1]..ends[g]</c> of <c>a</c> times <c>weights[g]ᵀ</c>.</summary>
internal static class GroupedMatmul
{
    /// <summary>Up to this many rows per group on average, the native GEMV kernel beats torch's grouped GEMM
    /// (measured crossover, docs/benchmarks.md, session 2; settable for that measurement).</summary>
    public static double GemvMaxRowsPerGroup { get; set; } = 2.0;

    /// <summary>Up to this many rows per group on average (and above <see cref="GemvMaxRowsPerGroup"/>), the native
    /// tensor-core kernel is used instead of torch's grouped GEMM: faster at 4 and 16 rows per expert on an H200 (the
    /// step bench, docs/benchmarks.md, session 9); the upper bound is predicted, not measured against torch. Settable for
    /// that measurement; 0 turns the kernel off.</summary>
    public static double MmaMaxRowsPerGroup { get; set; } = 64.0;

    /// <summary>The GEMV kernel runs only where each output is a dot product at least this long (K): at K = 512, the
    /// down projection of LLaDA2.0-mini's experts, the tensor-core kernel is faster even at one row per expert (0.087
    /// against 0.097 ms a layer on an H200, kernel-check, docs/benchmarks.md, session 11), at K = 2048 it is not (0.180
    /// against 0.163). Settable for that measurement; 0 gives the GEMV kernel every depth.</summary>
    public static long GemvMinDepth { get; set; } = 1024;

    /// <summary>The kernel for <paramref name="rows"/> rows over <paramref name="groups"/> groups, each group's matrix
    /// [<paramref name="n"/>, <paramref name="k"/>], for tensors on <paramref name="device"/> of <paramref name="dtype"/>.</summary>
    internal static GroupedKernel Choose(long rows, long groups, long n, long k, Device device, ScalarType dtype) =>
        Choose(rows, groups, n, k, native: CudaNative.Serves(device) && dtype == ScalarType.BFloat16);

    /// <summary>The rule of <see cref="Choose(long, long, long, long, Device, ScalarType)"/>, given whether the native
    /// kernels serve the tensors (<c>libdllm_cuda.so</c> loaded, CUDA, bf16).</summary>
    internal static GroupedKernel Choose(long rows, long groups, long n, long k, bool native)
    {
        if (!native)
            return GroupedKernel.PerGroup;
        bool mmaTakes = MmaMaxRowsPerGroup > 0 && n % 64 == 0 && k % 64 == 0;
        if (rows <= GemvMaxRowsPerGroup * groups && (k >= GemvMinDepth || !mmaTakes))
            return GroupedKernel.Gemv;
        if (rows <= Math.Max(MmaMaxRowsPerGroup, GemvMaxRowsPerGroup) * groups && mmaTakes)
            return GroupedKernel.TensorCoreMma;
        return GroupedKernel.TorchGroupedMm;
    }

    /// <param name="a">[M, K], rows sorted by group (contiguous).</param>
    /// <param name="weights">[G', N, K] with G' ≥ G: each group's matrix as stored (output column n is row weights[g, n]).</param>
    /// <param name="ends">int32 [G]: cumulative row counts.</param>
    /// <param name="passes">The layout kernel's pass table for <paramref name="ends"/> (<see cref="ExpertLayout.Passes"/>),
    /// if any: the tensor-core kernel then gives every pass of a group a block of its own.</param>
    /// <param name="rowsOf">int64 [M'], if any: row m of the product is row <c>rowsOf[m]</c> of <paramref name="a"/>
    /// (the routed pairs' tokens, <see cref="ExpertLayout.TokenOfRow"/>). The native kernels gather in their loads; the
    /// other paths gather first.</param>
    /// <returns>[M (or M'), N].</returns>
    public static Tensor Run(Tensor a, Tensor weights, Tensor ends, Tensor? passes = null, Tensor? rowsOf = null)
    {
        var kernel = Choose(rowsOf?.shape[0] ?? a.shape[0], ends.shape[0], weights.shape[1], weights.shape[2], a.device, a.dtype);
        if (rowsOf is not null && (kernel is not (GroupedKernel.Gemv or GroupedKernel.TensorCoreMma) || !a.is_contiguous()))
        {
            using var rows = a.index_select(0, rowsOf);
            return Run(rows, weights, ends, passes);
        }
        return kernel switch
        {
            // The native kernels take the first G matrices of weights as they are.
            GroupedKernel.Gemv => CudaNative.GroupedGemv(a, weights, ends, rowsOf),
            GroupedKernel.TensorCoreMma => CudaNative.GroupedMma(a, weights, ends, passes, rowsOf),
            GroupedKernel.TorchGroupedMm => CudaNative.GroupedMm(a, weights.narrow(0, 0, ends.shape[0]).transpose(1, 2), ends),
            _ => PerGroup(a, weights, ends),
        };
    }

    /// <summary>One matmul per non-empty group (reads the ends back to the host): the reference and the CPU path.</summary>
    internal static Tensor PerGroup(Tensor a, Tensor weights, Tensor ends)
    {
        using var hostEnds = ends.cpu();
        var result = zeros([a.shape[0], weights.shape[1]], dtype: a.dtype, device: a.device);
        int start = 0;
        var bounds = hostEnds.data<int>().ToArray();
        for (int g = 0; g < bounds.Length; g++)
        {
            int end = bounds[g];
            if (end > start)
            {
                using var scope = NewDisposeScope();
                result.narrow(0, start, end - start).copy_(a.narrow(0, start, end - start).mm(weights[g].t()));
            }
            start = end;
        }
        return result;
    }
}
