using Dllm.Checkpoints;
using Dllm.Model;
using TorchSharp;

namespace Dllm.Tests.Checkpoints;

/// <summary>Small synthetic checkpoints for the tests (fp32, a few hundred kB).</summary>
internal static class SyntheticCheckpoints
{
    /// <summary>A tiny config with a 256-token vocabulary and 2 layers (one dense, one MoE).</summary>
    public static LLaDA2Config TinyConfig { get; } = LLaDA2Shapes.Tiny(vocabSize: 256, layers: 2);

    /// <summary>Writes the tiny checkpoint into <paramref name="directory"/>.</summary>
    public static IReadOnlyList<string> Write(string directory, long maxShardBytes = SyntheticCheckpointOptions.DefaultMaxShardBytes, long seed = 7) =>
        SyntheticCheckpointWriter.Write(directory, TinyConfig, new SyntheticCheckpointOptions
        {
            Seed = seed, DType = torch.ScalarType.Float32, MaxShardBytes = maxShardBytes,
        });
}
