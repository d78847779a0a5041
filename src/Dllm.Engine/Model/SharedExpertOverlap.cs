using Dllm.Native;
using static TorchSharp.torch;

namespace Dllm.Model;

/// <summary>
/// When a MoE layer's shared expert runs on a second CUDA stream beside its routed experts (<see cref="CudaNative.ForkBegin"/>
/// … <see cref="CudaNative.ForkJoin"/>, eager and inside the step's CUDA graph) instead of after them: on CUDA with the
/// native piece. The same ops and the same sum in the same order, so the same bits; at few tokens a step the shared
/// expert's small products and activation then hide behind the routed experts' weight streaming.
/// </summary>
internal static class SharedExpertOverlap
{
    /// <summary>Whether layers that qualify overlap (default true; the bench's <c>--shared-overlap false</c> measures the
    /// one-stream order).</summary>
    public static bool Enabled { get; set; } = true;

    /// <summary>Whether a layer on <paramref name="device"/> overlaps its shared expert.</summary>
    public static bool Applies(Device device) => Enabled && CudaNative.Serves(device);

    /// <summary>Issues <paramref name="side"/> on a second stream of <paramref name="device"/> and <paramref name="main"/>
    /// on the current one, beside it; returns both once the current stream has waited for the side's work.</summary>
    public static (Tensor Side, TMain Main) Beside<TMain>(Device device, Func<Tensor> side, Func<TMain> main)
    {
        Tensor sideResult;
        CudaNative.ForkBegin(device);
        try
        {
            sideResult = side();
        }
        catch
        {
            // Close the fork, so that the next one can open.
            CudaNative.ForkEnd(device);
            CudaNative.ForkJoin(device);
            throw;
        }
        CudaNative.ForkEnd(device);
        try
        {
            return (sideResult, main());
        }
        finally
        {
            CudaNative.ForkJoin(device);
        }
    }
}
