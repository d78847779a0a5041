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

    /// <param name="a">[M, K], rows sorted by group (contiguous).</param>
    /// <param name="weights">[G', N, K] with G' ≥ G: each group's matrix as stored (output column n is row weights[g, n]).</param>
    /// <param name="ends">int32 [G]: cumulative row counts.</param>
    /// <returns>[M, N].</returns>
    public static Tensor Run(Tensor a, Tensor weights, Tensor ends)
    {
        if (CudaNative.Serves(a.device) && a.dtype == ScalarType.BFloat16)
        {
            return a.shape[0] <= GemvMaxRowsPerGroup * ends.shape[0]
                ? CudaNative.GroupedGemv(a, weights, ends)
                : CudaNative.GroupedMm(a, weights.narrow(0, 0, ends.shape[0]).transpose(1, 2), ends);
        }
        return PerGroup(a, weights, ends);
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
