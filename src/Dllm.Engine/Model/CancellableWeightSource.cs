using TorchSharp;

namespace Dllm.Model;

/// <summary>A weight source that checks a cancellation token before every tensor, so a load stops between tensors.</summary>
internal sealed class CancellableWeightSource(IWeightSource inner, CancellationToken cancellationToken) : IWeightSource
{
    /// <inheritdoc />
    public torch.Tensor Read(string name, long[] shape, torch.ScalarType dtype, torch.Device device)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return inner.Read(name, shape, dtype, device);
    }
}
