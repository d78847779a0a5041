using Dllm.Model;
using TorchSharp;

namespace Dllm.Checkpoints;

/// <summary>The model's weights read from a checkpoint directory's safetensors.</summary>
public sealed class CheckpointWeightSource(CheckpointDirectory checkpoint) : IWeightSource
{
    /// <inheritdoc />
    public torch.Tensor Read(string name, long[] shape, torch.ScalarType dtype, torch.Device device) =>
        checkpoint.ReadTensor(name, shape, dtype, device);
}
