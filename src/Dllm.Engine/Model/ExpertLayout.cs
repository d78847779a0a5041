using Dllm.Native;
using static TorchSharp.torch;

namespace Dllm.Model;

/// <summary>
/// The routed (token, slot) pairs of a MoE layer, p = token·k + j, ordered by expert as a stable sort orders them: the
/// grouped expert product reads the rows of expert e at sorted rows <c>Ends[e-1] .. Ends[e]-1</c>.
/// </summary>
/// <param name="Ends">int32 [E]: inclusive cumulative pairs per expert.</param>
/// <param name="TokenOfRow">int64 [T·k]: the token of the pair at each sorted row (the rows to gather).</param>
/// <param name="RowOfPair">int64 [T·k]: the sorted row of each pair (the outputs back in pair order).</param>
/// <param name="Passes">int32: the tensor-core expert kernel's work list for these ends (an entry per 64-row pass of each
/// expert's rows, so a hot expert's passes run side by side), where the layout kernel made one; else null.</param>
internal sealed record ExpertLayout(Tensor Ends, Tensor TokenOfRow, Tensor RowOfPair, Tensor? Passes = null)
{
    /// <summary>Whether the layout kernel is used where it can be: on (it gives the tensor ops' layout exactly, bench
    /// graph-check, and takes 1.3–1.5 ms off an H200 step, docs/benchmarks.md, session 10); the bench's
    /// <c>--moe-align-kernel false</c> turns it off for a before/after row.</summary>
    public static bool KernelEnabled { get; set; } = true;

    /// <summary>Whether a layout by the kernel carries its pass table (<see cref="Passes"/>) to the tensor-core expert
    /// kernel: on; the bench's <c>--pass-table false</c> drops it for a before/after row.</summary>
    public static bool PassTableEnabled { get; set; } = true;

    /// <summary>The layout of <paramref name="experts"/> [T, k] int64 over <paramref name="expertIds"/> (0..E-1, int64):
    /// one kernel where it is enabled and the native piece serves the device (<see cref="WithKernel"/>), else a stable
    /// sort, searchsorted and the inverse permutation as tensor ops (<see cref="WithTensorOps"/>).</summary>
    public static ExpertLayout Of(Tensor experts, Tensor expertIds) =>
        KernelEnabled && CudaNative.Serves(experts.device) && expertIds.shape[0] <= MaxNativeExperts
            ? WithKernel(experts, (int)expertIds.shape[0])
            : WithTensorOps(experts, expertIds);

    /// <summary>The layout by the native kernel (<see cref="CudaNative.MoeAlign"/>).</summary>
    internal static ExpertLayout WithKernel(Tensor experts, int numExperts)
    {
        var (ends, tokenOfRow, rowOfPair, passes) = CudaNative.MoeAlign(experts.contiguous(), numExperts);
        return new ExpertLayout(ends, tokenOfRow, rowOfPair, PassTableEnabled ? passes : null);
    }

    /// <summary>The most experts the kernel lays out.</summary>
    internal const int MaxNativeExperts = 512;

    /// <summary>The layout by tensor ops (the CPU path, and the reference of the kernel).</summary>
    internal static ExpertLayout WithTensorOps(Tensor experts, Tensor expertIds)
    {
        long k = experts.shape[1];
        var (sortedExpert, order) = experts.reshape(-1).sort(stable: true);
        var ends = searchsorted(sortedExpert, expertIds, out_int32: true, right: true);
        return new ExpertLayout(ends, order.div(k, RoundingMode.floor), order.sort().Indices);
    }
}
