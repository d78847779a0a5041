using System.Text;
using TorchSharp;

namespace Dllm.Checkpoints;

/// <summary>
/// Seeded random values for the tensors of a synthetic LLaDA2 checkpoint. Each tensor gets its own generator,
/// seeded from the checkpoint seed and the tensor's name, so a tensor's values depend on nothing else (not on the
/// order of writing nor on sharding). Scales keep activations O(1) at any width:
/// <list type="bullet">
/// <item>matrices [out, in] (embeddings, lm_head, projections, router): normal, mean 0, std
/// <c>0.02 · √(2048 / in)</c>, i.e. the usual 0.02 at the real width 2048 and ≈ 0.9/√in elsewhere, so a projection
/// of a unit-variance input has variance ≈ 0.8;</item>
/// <item>RMSNorm weights (layer norms, qk-norms, final norm): normal, mean 1, std 0.1;</item>
/// <item>expert_bias: normal, mean 0, std 0.05, comparable to the gaps between the top sigmoid router scores, so
/// the bias changes which experts are chosen for some tokens but not for all.</item>
/// </list>
/// Values are generated in fp32 on the CPU by libtorch's normal sampler: identical for a seed on a given build
/// and CPU.
/// </summary>
internal static class SyntheticWeights
{
    private const double ReferenceStd = 0.02;
    private const double ReferenceWidth = 2048;
    private const double NormStd = 0.1;
    private const double ExpertBiasStd = 0.05;

    /// <summary>The tensor <paramref name="name"/> of shape <paramref name="shape"/> for checkpoint seed <paramref name="seed"/>,
    /// fp32 on the CPU, multiplied by <paramref name="scale"/>.</summary>
    public static torch.Tensor Generate(string name, long[] shape, long seed, double scale = 1.0)
    {
        var (mean, std) = Distribution(name, shape);
        using var generator = new torch.Generator(TensorSeed(name, seed), torch.CPU);
        var values = torch.normal(mean, std, shape, torch.ScalarType.Float32, torch.CPU, generator: generator);
        return scale == 1.0 ? values : values.mul_(scale);
    }

    /// <summary>The mean and standard deviation used for a tensor.</summary>
    public static (double Mean, double Std) Distribution(string name, long[] shape) => shape.Length switch
    {
        2 => (0, ReferenceStd * Math.Sqrt(ReferenceWidth / shape[1])),
        _ when name.EndsWith(".expert_bias", StringComparison.Ordinal) => (0, ExpertBiasStd),
        _ => (1, NormStd),
    };

    /// <summary>The generator seed of one tensor: FNV-1a of its name mixed with the checkpoint seed.</summary>
    public static ulong TensorSeed(string name, long seed)
    {
        ulong hash = 14695981039346656037UL;
        foreach (byte b in Encoding.UTF8.GetBytes(name))
            hash = (hash ^ b) * 1099511628211UL;
        ulong mixed = hash ^ ((ulong)seed * 0x9E3779B97F4A7C15UL);
        mixed ^= mixed >> 31;
        return mixed * 0xBF58476D1CE4E5B9UL;
    }
}
