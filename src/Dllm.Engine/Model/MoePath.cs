namespace Dllm.Model;

/// <summary>How the routed experts of a MoE layer are computed.</summary>
public enum MoePath
{
    /// <summary><see cref="GroupedGemm"/> on a CUDA bf16 model with <c>libdllm_cuda.so</c>; otherwise by token count:
    /// <see cref="AllExperts"/> for small batches, <see cref="GroupedByExpert"/> for many tokens.</summary>
    Auto,

    /// <summary>Every expert on every token with two batched matmuls over the stacked experts, combined by a sparse
    /// routing matrix: few ops and no host sync, best when one step holds few tokens.</summary>
    AllExperts,

    /// <summary>(token, expert) pairs sorted by expert into a capacity-padded [E, C, H] buffer: compute only
    /// for the routed pairs, for long prefills and large batches (one host sync for the capacity).</summary>
    GroupedByExpert,

    /// <summary>(token, expert) pairs sorted by expert and multiplied by a grouped GEMM over the touched experts only:
    /// no padding and no host sync (capturable). Through <c>libdllm_cuda.so</c> on CUDA bf16: our GEMV or tensor-core
    /// kernel or torch's grouped GEMM by rows per expert (<c>GroupedMatmul.Choose</c>); a per-expert loop elsewhere
    /// (correct, slow: for tests and CPU).</summary>
    GroupedGemm,
}
