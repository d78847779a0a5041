using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Model;

/// <summary>RMSNorm over the last dimension: <c>w * (x * rsqrt(mean(x²) + eps))</c>, normalised in fp32 and cast back.</summary>
internal sealed class RmsNorm(Tensor weight, double eps) : IDisposable
{
    public Tensor Weight { get; } = weight;

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        bool fp32 = x.dtype == ScalarType.Float32;
        var xf = fp32 ? x : x.to(ScalarType.Float32);
        var normalized = xf.mul(xf.square().mean([-1], keepdim: true).add_(eps).rsqrt_());
        return Weight.mul(fp32 ? normalized : normalized.to(x.dtype)).MoveToOuterDisposeScope();
    }

    public void Dispose() => Weight.Dispose();
}
