namespace Dllm.Checkpoints;

/// <summary>Element counts, comparison and formatting of tensor shapes.</summary>
public static class TensorShapes
{
    /// <summary>The product of the dims (1 for a scalar).</summary>
    /// <exception cref="OverflowException">The product does not fit a long.</exception>
    public static long ElementCount(IReadOnlyList<long> shape)
    {
        long count = 1;
        foreach (long dim in shape)
            count = checked(count * dim);
        return count;
    }

    /// <summary>True when both shapes have the same dims.</summary>
    public static bool Equal(IReadOnlyList<long> a, IReadOnlyList<long> b) => a.SequenceEqual(b);

    /// <summary>The shape as <c>[a, b]</c>.</summary>
    public static string Format(IReadOnlyList<long> shape) => $"[{string.Join(", ", shape)}]";
}
