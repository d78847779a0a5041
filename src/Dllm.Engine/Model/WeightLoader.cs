using TorchSharp;

namespace Dllm.Model;

/// <summary>Reads the model's weights from an <see cref="IWeightSource"/> in the run dtype and device, remembering what was read.</summary>
internal sealed class WeightLoader(IWeightSource source, torch.ScalarType dtype, torch.Device device, Action<string>? onRead = null)
{
    public torch.ScalarType DType => dtype;

    public torch.Device Device => device;

    public torch.Tensor Read(string name, params long[] shape) => Read(name, dtype, shape);

    public torch.Tensor Read(string name, torch.ScalarType asType, params long[] shape)
    {
        var tensor = source.Read(name, shape, asType, device);
        onRead?.Invoke(name);
        return tensor;
    }
}
