using TorchSharp;

namespace Dllm.Tests.Model;

/// <summary>Random operands of a grouped product in float64 and as tensors: <c>a</c> [rows, k], each group's matrix
/// as stored ([n, k]: output column j is row j), the groups' cumulative ends; and the product's value by loops.</summary>
internal sealed class GroupedOperands : IDisposable
{
    private readonly double[,] _a;
    private readonly double[,,] _b;

    public GroupedOperands(int seed, int rows, int k, int n, int[] ends)
    {
        var random = new Random(seed);
        Ends = ends;
        _a = new double[rows, k];
        _b = new double[ends.Length, n, k];
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < k; i++)
                _a[r, i] = random.NextDouble() - 0.5;
        for (int g = 0; g < ends.Length; g++)
            for (int j = 0; j < n; j++)
                for (int i = 0; i < k; i++)
                    _b[g, j, i] = random.NextDouble() - 0.5;
        A = torch.tensor(_a.Cast<double>().ToArray(), [rows, k]);
        B = torch.tensor(_b.Cast<double>().ToArray(), [ends.Length, n, k]);
        EndsTensor = torch.tensor(ends);
    }

    public int[] Ends { get; }
    public torch.Tensor A { get; }
    public torch.Tensor B { get; }
    public torch.Tensor EndsTensor { get; }

    /// <summary>The group of product row <paramref name="row"/> (the first whose end lies past it).</summary>
    public int GroupOf(int row) => Array.FindIndex(Ends, end => row < end);

    /// <summary>Σᵢ a[source, i] · b[group, column, i], in float64.</summary>
    public double Expected(long source, int group, int column)
    {
        double sum = 0;
        for (int i = 0; i < _a.GetLength(1); i++)
            sum += _a[source, i] * _b[group, column, i];
        return sum;
    }

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
        EndsTensor.Dispose();
    }
}
