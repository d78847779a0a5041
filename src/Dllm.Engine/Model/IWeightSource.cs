using TorchSharp;

namespace Dllm.Model;

/// <summary>Where the model's weights come from: a checkpoint on disk, or random values for speed tests.</summary>
public interface IWeightSource
{
    /// <summary>Reads tensor <paramref name="name"/> (an HF checkpoint name) with the given shape, as
    /// <paramref name="dtype"/> on <paramref name="device"/>. Throws, naming the tensor, when it is missing
    /// or has another shape.</summary>
    torch.Tensor Read(string name, long[] shape, torch.ScalarType dtype, torch.Device device);
}
