using Dllm.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Model;

/// <summary>A grouped matrix product: rows <c>ends[g-1]..ends[g]</c> of <c>a</c> times <c>b[g]</c>.</summary>
internal static class GroupedMatmul
{
    /// <param name="a">[M, K], rows sorted by group.</param>
    /// <param name="b">[G, K, N].</param>
    /// <param name="ends">int32 [G]: cumulative row counts.</param>
    /// <returns>[M, N].</returns>
    public static Tensor Run(Tensor a, Tensor b, Tensor ends)
    {
        if (CudaNative.Serves(a.device) && a.dtype == ScalarType.BFloat16)
            return CudaNative.GroupedMm(a, b, ends);
        return PerGroup(a, b, ends);
    }

    /// <summary>One matmul per non-empty group (reads the ends back to the host): the reference and the CPU path.</summary>
    internal static Tensor PerGroup(Tensor a, Tensor b, Tensor ends)
    {
        using var hostEnds = ends.cpu();
        var result = zeros([a.shape[0], b.shape[2]], dtype: a.dtype, device: a.device);
        int start = 0;
        var bounds = hostEnds.data<int>().ToArray();
        for (int g = 0; g < bounds.Length; g++)
        {
            int end = bounds[g];
            if (end > start)
            {
                using var scope = NewDisposeScope();
                result.narrow(0, start, end - start).copy_(a.narrow(0, start, end - start).mm(b[g]));
            }
            start = end;
        }
        return result;
    }
}
