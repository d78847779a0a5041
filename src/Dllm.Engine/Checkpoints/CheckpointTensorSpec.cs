namespace Dllm.Checkpoints;

/// <summary>A tensor a checkpoint must hold: its HF name and shape.</summary>
/// <param name="Name">The HF tensor name, e.g. <c>model.layers.0.attention.dense.weight</c>.</param>
/// <param name="Shape">Its shape.</param>
public sealed record CheckpointTensorSpec(string Name, long[] Shape)
{
    /// <summary>The number of elements (parameters).</summary>
    public long ElementCount => TensorShapes.ElementCount(Shape);
}
