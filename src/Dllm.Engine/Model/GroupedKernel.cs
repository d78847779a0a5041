namespace Dllm.Model;

/// <summary>Which kernel computes a grouped matrix product (<see cref="GroupedMatmul.Choose(long, long, long, long, TorchSharp.torch.Device, TorchSharp.torch.ScalarType)"/>).</summary>
internal enum GroupedKernel
{
    /// <summary>One matmul per non-empty group, after reading the group ends back to the host: without
    /// <c>libdllm_cuda.so</c>, on the CPU, or for a dtype other than bf16 (the reference, not capturable).</summary>
    PerGroup,

    /// <summary>Our grouped GEMV kernel (<c>grouped_gemv.cu</c>): bandwidth-bound, for the fewest rows per group
    /// (up to <see cref="GroupedMatmul.GemvMaxRowsPerGroup"/> on average).</summary>
    Gemv,

    /// <summary>Our grouped tensor-core product (<c>grouped_mma.cu</c>): streams each touched group's weights once, for
    /// a few to some tens of rows per group (up to <see cref="GroupedMatmul.MmaMaxRowsPerGroup"/> on average); needs
    /// output and input widths that are multiples of 64.</summary>
    TensorCoreMma,

    /// <summary>Torch's grouped GEMM (<c>at::_grouped_mm</c>), for many rows per group.</summary>
    TorchGroupedMm,
}
