using TorchSharp;

namespace Dllm.Model;

/// <summary>
/// The <c>dummy</c> load format: every weight is drawn on the device from a seeded generator, with no file
/// read — for speed tests of full-size shapes. Norm weights are 1, matrices N(0, 1/fan_in) so activations
/// stay O(1), rounded to bf16 as a checkpoint stores them, the router bias small. On CUDA the values come from the device's global generator, seeded once
/// (TorchSharp's generators are CPU-only), so a model is reproducible when it is the only one drawn.
/// </summary>
public sealed class RandomWeightSource(long seed, double logitSharpness = 1.0) : IWeightSource
{
    private long _counter;
    private bool _cudaSeeded;

    /// <inheritdoc />
    public torch.Tensor Read(string name, long[] shape, torch.ScalarType dtype, torch.Device device)
    {
        using var generator = device.type == DeviceType.CUDA ? null : new torch.Generator((ulong)(seed * 1_000_003 + Interlocked.Increment(ref _counter)));
        if (device.type == DeviceType.CUDA && !_cudaSeeded)
        {
            torch.cuda.manual_seed_all(seed);
            _cudaSeeded = true;
        }
        if (name == LLaDA2TensorNames.FinalNorm)
            return torch.full(shape, logitSharpness, dtype: dtype, device: device); // scales every logit: > 1 makes a peaked model
        if (name.EndsWith("norm.weight", StringComparison.Ordinal)) // every RMSNorm: layer norms, qk-norms
            return torch.ones(shape, dtype: dtype, device: device);
        if (name.EndsWith("expert_bias", StringComparison.Ordinal))
            return torch.randn(shape, dtype: torch.ScalarType.Float32, device: device, generator: generator).mul_(0.01).to(dtype);
        double std = name.Contains("word_embeddings", StringComparison.Ordinal) ? 1.0 : 1.0 / Math.Sqrt(shape[^1]);
        // Rounded to bf16 whatever the dtype asked for, as a checkpoint holds them (the router's gate is read as fp32).
        using var values = torch.randn(shape, dtype: torch.ScalarType.Float32, device: device, generator: generator);
        using var stored = values.mul_(std).to(torch.ScalarType.BFloat16);
        return stored.to(dtype);
    }
}
