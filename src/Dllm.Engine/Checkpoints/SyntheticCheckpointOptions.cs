using TorchSharp;

namespace Dllm.Checkpoints;

/// <summary>How <see cref="SyntheticCheckpointWriter"/> writes a checkpoint.</summary>
public sealed record SyntheticCheckpointOptions
{
    /// <summary>The Hugging Face default shard size (5 GB).</summary>
    public const long DefaultMaxShardBytes = 5_000_000_000;

    /// <summary>The seed of the random weights: the same seed writes the same bytes.</summary>
    public long Seed { get; init; }

    /// <summary>The stored dtype of the weights (BFloat16, Float16 or Float32); expert_bias is always Float32, as the router runs in fp32.</summary>
    public torch.ScalarType DType { get; init; } = torch.ScalarType.BFloat16;

    /// <summary>The largest shard; a checkpoint that fits is written as one <c>model.safetensors</c>.</summary>
    public long MaxShardBytes { get; init; } = DefaultMaxShardBytes;

    /// <summary>Replace the weight files of an existing checkpoint in the directory (otherwise that is an error).</summary>
    public bool Overwrite { get; init; }

    /// <summary>Receives a report after each tensor written.</summary>
    public IProgress<CheckpointLoadProgress>? Progress { get; init; }

    /// <summary>
    /// Called with the directory after config.json and the weights are written: the hook for the files this
    /// writer does not make, such as <c>tokenizer.json</c> and <c>tokenizer_config.json</c>.
    /// </summary>
    public Action<string>? WriteExtraFiles { get; init; }

    /// <summary>
    /// Multiplies the final norm's weights, which scales every logit: 1 gives the near-uniform predictions of a
    /// random model (one token committed per step); large values (e.g. 200) give a "peaked" model whose
    /// predictions are confident, so the decoder commits several tokens per step.
    /// </summary>
    public double LogitSharpness { get; init; } = 1.0;
}
