using Dllm.Model;
using Dllm.Tests.Infrastructure;
using TorchSharp;

namespace Dllm.Tests.Model;

/// <summary>The <c>dummy</c> load format's weights look like a checkpoint's: bf16 values, whatever dtype they are read as
/// (the router's gate is read as fp32, and on CUDA its projection runs on tensor cores only for bf16-valued gates).</summary>
public class RandomWeightSourceTests
{
    [Theory]
    [InlineData("model.layers.1.mlp.gate.weight")]
    [InlineData("model.layers.0.attention.query_key_value.weight")]
    public void Matrices_read_as_fp32_hold_bf16_values_drawn_at_the_fan_in_scale(string name)
    {
        Torch.EnsureLoaded();
        var source = new RandomWeightSource(seed: 3);

        using var weight = source.Read(name, [64, 256], torch.ScalarType.Float32, torch.CPU);
        using var roundTrip = weight.to(torch.ScalarType.BFloat16).to(torch.ScalarType.Float32);

        Assert.Equal(torch.ScalarType.Float32, weight.dtype);
        Assert.True(roundTrip.eq(weight).all().item<bool>(), $"{name}: values that bf16 does not hold");
        double std = weight.std().item<float>();
        Assert.InRange(std, 0.9 / 16, 1.1 / 16); // N(0, 1/fan_in), fan_in 256
    }
}
