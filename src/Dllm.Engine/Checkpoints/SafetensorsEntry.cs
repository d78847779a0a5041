using TorchSharp;

namespace Dllm.Checkpoints;

/// <summary>A tensor to be written to a safetensors file: its name, shape and stored dtype.</summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="Shape">The tensor's shape.</param>
/// <param name="DType">The stored dtype (BFloat16, Float16 or Float32).</param>
public sealed record SafetensorsEntry(string Name, long[] Shape, torch.ScalarType DType)
{
    /// <summary>Bytes per stored element.</summary>
    /// <exception cref="ArgumentException">The dtype cannot be stored.</exception>
    public int ElementSize => SafetensorsDTypes.ElementSize(SafetensorsDTypes.FromScalarType(DType))!.Value;

    /// <summary>The size of the stored data.</summary>
    public long ByteLength => TensorShapes.ElementCount(Shape) * ElementSize;
}
