using Dllm.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Model;

/// <summary>RMSNorm over the last dimension: <c>w * (x * rsqrt(mean(x²) + eps))</c>, normalised in fp32 and cast back.</summary>
internal sealed class RmsNorm(Tensor weight, double eps) : IDisposable
{
    public Tensor Weight { get; } = weight;

    /// <summary>The epsilon added to the mean square.</summary>
    public double Eps { get; } = eps;

    /// <summary>Normalises the last dimension; on CUDA bf16 with libdllm_cuda.so in one kernel with the same rounding
    /// (unless <paramref name="allowNative"/> is false), else in eight ops.</summary>
    public Tensor Forward(Tensor x, bool allowNative = true)
    {
        if (NativeServes(x, allowNative) && RowsContiguous(x))
            return CudaNative.RmsNorm(x, Weight, Eps);
        using var scope = NewDisposeScope();
        bool fp32 = x.dtype == ScalarType.Float32;
        var xf = fp32 ? x : x.to(ScalarType.Float32);
        var normalized = xf.mul(xf.square().mean([-1], keepdim: true).add_(Eps).rsqrt_());
        return Weight.mul(fp32 ? normalized : normalized.to(x.dtype)).MoveToOuterDisposeScope();
    }

    /// <summary>A pre-norm layer's residual add and this norm: <c>sum = residual + delta</c> and <c>Forward(sum)</c>.
    /// On CUDA bf16 with libdllm_cuda.so (hidden widths of 256 ... 4096) one kernel writes both with the same rounding
    /// (unless <paramref name="allowNative"/> is false), where an add kernel wrote the sum and the norm read it back;
    /// else the add and <see cref="Forward"/>.</summary>
    public (Tensor Sum, Tensor Normed) AddForward(Tensor residual, Tensor delta, bool allowNative = true)
    {
        if (NativeServes(residual, allowNative) && delta.dtype == ScalarType.BFloat16 && residual.dim() == 2
            && CudaNative.AddRmsNormTakes(residual.shape[1]) && residual.is_contiguous() && delta.is_contiguous() && !is_grad_enabled())
            return CudaNative.AddRmsNorm(residual, delta, Weight, Eps);
        var sum = residual.add(delta);
        return (sum, Forward(sum, allowNative));
    }

    /// <summary>Whether libdllm_cuda.so's kernels take <paramref name="x"/> with this weight: bf16 both, on CUDA, allowed.</summary>
    private bool NativeServes(Tensor x, bool allowNative) =>
        allowNative && x.dtype == ScalarType.BFloat16 && Weight.dtype == ScalarType.BFloat16 && CudaNative.Serves(x.device);

    /// <summary>The kernel's layout: [T, D] or [T, G, D] contiguous inside each token (the q/k view of the QKV rows is).</summary>
    private static bool RowsContiguous(Tensor x) =>
        x.stride(-1) == 1 && (x.dim() == 2 || (x.dim() == 3 && x.stride(1) == x.shape[2]));

    public void Dispose() => Weight.Dispose();
}
