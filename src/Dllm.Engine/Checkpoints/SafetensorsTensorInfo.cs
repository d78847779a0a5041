namespace Dllm.Checkpoints;

/// <summary>One tensor of a safetensors file, as its header describes it.</summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="DType">The safetensors dtype name (BF16, F16, F32, ...).</param>
/// <param name="Shape">The tensor's shape.</param>
/// <param name="FileOffset">Where its data starts, counted from the start of the file.</param>
/// <param name="ByteLength">How many bytes of data it has.</param>
public sealed record SafetensorsTensorInfo(string Name, string DType, long[] Shape, long FileOffset, long ByteLength)
{
    /// <summary>The number of elements (1 for a scalar).</summary>
    public long ElementCount => TensorShapes.ElementCount(Shape);

    /// <summary>The shape as <c>[a, b]</c>.</summary>
    public string ShapeText => TensorShapes.Format(Shape);
}
