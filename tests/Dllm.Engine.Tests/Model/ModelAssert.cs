using TorchSharp;

namespace Dllm.Tests.Model;

/// <summary>Comparisons of model logits with reference logits.</summary>
internal static class ModelAssert
{
    /// <summary>max |actual − expected| / max |expected| over every element.</summary>
    public static double MaxRelativeError(torch.Tensor actual, double[,] expected, int firstRow = 0)
    {
        using var cpu = actual.to(torch.ScalarType.Float64).cpu().contiguous();
        var values = cpu.data<double>().ToArray();
        int rows = expected.GetLength(0) - firstRow, cols = expected.GetLength(1);
        Assert.Equal((long)rows * cols, values.Length);
        double maxDiff = 0, maxRef = 0;
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                maxDiff = Math.Max(maxDiff, Math.Abs(values[r * cols + c] - expected[firstRow + r, c]));
                maxRef = Math.Max(maxRef, Math.Abs(expected[firstRow + r, c]));
            }
        }
        return maxDiff / maxRef;
    }

    public static void Close(torch.Tensor actual, double[,] expected, double tolerance = 1e-4, int firstRow = 0)
    {
        double error = MaxRelativeError(actual, expected, firstRow);
        Assert.True(error <= tolerance, $"max relative error {error:E3} > {tolerance:E1}");
    }

    public static double MaxAbsDifference(torch.Tensor a, torch.Tensor b)
    {
        using var diff = a.sub(b).abs().max();
        return diff.to(torch.ScalarType.Float64).item<double>();
    }
}
