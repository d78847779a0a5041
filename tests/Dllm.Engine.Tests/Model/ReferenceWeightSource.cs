using Dllm.Model;
using Dllm.Tests.Reference;
using TorchSharp;

namespace Dllm.Tests.Model;

/// <summary>Feeds the float64 reference's weights to the TorchSharp model (as fp32 tensors), checking shapes.</summary>
internal sealed class ReferenceWeightSource(ReferenceWeights weights) : IWeightSource
{
    public torch.Tensor Read(string name, long[] shape, torch.ScalarType dtype, torch.Device device)
    {
        Assert.True(weights.Contains(name), $"the model asked for {name}, which the reference does not have");
        var (data, actual) = weights[name];
        Assert.Equal(shape, actual.Select(d => (long)d).ToArray());
        using var values = torch.tensor(data.Select(d => (float)d).ToArray(), shape);
        return values.to(dtype).to(device);
    }
}
