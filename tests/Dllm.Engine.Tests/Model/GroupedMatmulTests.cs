using Dllm.Model;
using Dllm.Tests.Infrastructure;
using TorchSharp;

namespace Dllm.Tests.Model;

/// <summary>Which kernel <see cref="GroupedMatmul.Choose(long, long, long, long, torch.Device, torch.ScalarType)"/> picks
/// for the grouped expert product (the kernels themselves run only on the GPU: bench's graph-check).</summary>
public class GroupedMatmulTests
{
    private const long Experts = 256, Width = 1024, Hidden = 2048;

    private static GroupedKernel Native(long rows, long n = Width, long k = Hidden) =>
        GroupedMatmul.Choose(rows, Experts, n, k, native: true);

    private static void WithThresholds(double gemv, double mma, Action check)
    {
        double savedGemv = GroupedMatmul.GemvMaxRowsPerGroup, savedMma = GroupedMatmul.MmaMaxRowsPerGroup;
        try
        {
            GroupedMatmul.GemvMaxRowsPerGroup = gemv;
            GroupedMatmul.MmaMaxRowsPerGroup = mma;
            check();
        }
        finally
        {
            GroupedMatmul.GemvMaxRowsPerGroup = savedGemv;
            GroupedMatmul.MmaMaxRowsPerGroup = savedMma;
        }
    }

    [Fact]
    public void By_rows_per_group_the_GEMV_kernel_then_the_tensor_core_kernel_then_torchs_grouped_GEMM() =>
        WithThresholds(2.0, 64.0, () =>
        {
            Assert.Equal(GroupedKernel.Gemv, Native(0));
            Assert.Equal(GroupedKernel.Gemv, Native(200));
            Assert.Equal(GroupedKernel.Gemv, Native(2 * Experts));
            Assert.Equal(GroupedKernel.TensorCoreMma, Native(2 * Experts + 1));
            Assert.Equal(GroupedKernel.TensorCoreMma, Native(4096));
            Assert.Equal(GroupedKernel.TensorCoreMma, Native(64 * Experts));
            Assert.Equal(GroupedKernel.TorchGroupedMm, Native(64 * Experts + 1));
            Assert.Equal(GroupedKernel.TorchGroupedMm, Native(32768));
        });

    [Fact]
    public void The_default_thresholds_are_two_and_sixty_four_rows_per_group()
    {
        Assert.Equal(2.0, GroupedMatmul.GemvMaxRowsPerGroup);
        Assert.Equal(64.0, GroupedMatmul.MmaMaxRowsPerGroup);
    }

    [Fact]
    public void Widths_that_are_not_multiples_of_64_skip_the_tensor_core_kernel() =>
        WithThresholds(2.0, 64.0, () =>
        {
            Assert.Equal(GroupedKernel.TorchGroupedMm, Native(4096, n: 1000));
            Assert.Equal(GroupedKernel.TorchGroupedMm, Native(4096, k: 2056));
            Assert.Equal(GroupedKernel.TensorCoreMma, Native(4096, n: 2048, k: 512));
            Assert.Equal(GroupedKernel.Gemv, Native(200, n: 1000, k: 2056));
        });

    [Fact]
    public void Short_dot_products_take_the_tensor_core_kernel_even_at_one_row_per_group() =>
        WithThresholds(2.0, 64.0, () =>
        {
            Assert.Equal(1024, GroupedMatmul.GemvMinDepth);
            Assert.Equal(GroupedKernel.TensorCoreMma, Native(200, n: 2048, k: 512));   // the experts' down projection
            Assert.Equal(GroupedKernel.TensorCoreMma, Native(0, n: 2048, k: 512));
            Assert.Equal(GroupedKernel.Gemv, Native(200, n: 1024, k: 1024));           // as deep as the bound: GEMV
            Assert.Equal(GroupedKernel.Gemv, Native(200, n: 1000, k: 520));            // not for the tensor-core kernel
        });

    [Fact]
    public void Short_dot_products_keep_the_GEMV_kernel_when_the_tensor_core_kernel_is_off() =>
        WithThresholds(2.0, 0.0, () => Assert.Equal(GroupedKernel.Gemv, Native(200, n: 2048, k: 512)));

    [Fact]
    public void Zero_turns_the_tensor_core_kernel_off() =>
        WithThresholds(2.0, 0.0, () =>
        {
            Assert.Equal(GroupedKernel.Gemv, Native(200));
            Assert.Equal(GroupedKernel.TorchGroupedMm, Native(2 * Experts + 1));
            Assert.Equal(GroupedKernel.TorchGroupedMm, Native(4096));
        });

    [Fact]
    public void The_thresholds_are_settable() =>
        WithThresholds(0.0, 8.0, () =>
        {
            Assert.Equal(GroupedKernel.TensorCoreMma, Native(200));
            Assert.Equal(GroupedKernel.TensorCoreMma, Native(8 * Experts));
            Assert.Equal(GroupedKernel.TorchGroupedMm, Native(8 * Experts + 1));
        });

    [Fact]
    public void Without_the_native_kernels_every_size_loops_over_the_groups()
    {
        Torch.EnsureLoaded();
        foreach (long rows in new long[] { 200, 4096, 32768 })
        {
            Assert.Equal(GroupedKernel.PerGroup, GroupedMatmul.Choose(rows, Experts, Width, Hidden, native: false));
            Assert.Equal(GroupedKernel.PerGroup, GroupedMatmul.Choose(rows, Experts, Width, Hidden, torch.CPU, torch.ScalarType.BFloat16));
            Assert.Equal(GroupedKernel.PerGroup, GroupedMatmul.Choose(rows, Experts, Width, Hidden, torch.CPU, torch.ScalarType.Float32));
        }
    }

    [Fact]
    public void With_rowsOf_row_m_of_the_product_is_row_rowsOf_m_of_a_times_its_groups_matrix()
    {
        Torch.EnsureLoaded();
        const int n = 4;
        long[] rowsOf = [4, 0, 4, 2, 1, 1, 3];  // a token's rows can repeat, as a token's k pairs do
        using var operands = new GroupedOperands(seed: 3, rows: 5, k: 6, n, ends: [3, 3, 7]);  // the middle group empty
        using var rowsTensor = torch.tensor(rowsOf);

        using var result = GroupedMatmul.Run(operands.A, operands.B, operands.EndsTensor, rowsOf: rowsTensor);

        Assert.Equal([rowsOf.Length, n], result.shape);
        for (int r = 0; r < rowsOf.Length; r++)
            for (int j = 0; j < n; j++)
                Assert.Equal(operands.Expected(rowsOf[r], operands.GroupOf(r), j), result[r, j].item<double>(), 12);
    }
}
