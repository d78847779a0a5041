namespace Dllm.Decoding;

/// <summary>Settings of <see cref="LowConfidenceAlgorithm"/> (YAML keys <c>threshold</c>, <c>block_size</c>).</summary>
public sealed record LowConfidenceOptions
{
    /// <summary>The YAML keys this algorithm accepts.</summary>
    public static IReadOnlyList<AlgorithmConfigKey> Keys { get; } = [AlgorithmConfigKeys.Threshold, AlgorithmConfigKeys.BlockSize];

    /// <summary>A masked slot is committed when its confidence is strictly greater than this (0..1).</summary>
    public double Threshold { get; init; } = 0.95;

    /// <summary>Tokens per block (1..1024).</summary>
    public int BlockSize { get; init; } = 32;

    /// <summary>The options of <paramref name="config"/>, defaults for the keys it does not set.</summary>
    public static LowConfidenceOptions FromConfig(DiffusionAlgorithmConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var defaults = new LowConfidenceOptions();
        return new()
        {
            Threshold = config.GetNumber(AlgorithmConfigKeys.Threshold, defaults.Threshold),
            BlockSize = config.GetInteger(AlgorithmConfigKeys.BlockSize, defaults.BlockSize),
        };
    }

    /// <summary>Range-checks every value.</summary>
    /// <exception cref="AlgorithmConfigException">A value is out of range.</exception>
    public void Validate()
    {
        AlgorithmConfigKeys.Threshold.Check(Threshold, nameof(LowConfidenceOptions));
        AlgorithmConfigKeys.BlockSize.Check(BlockSize, nameof(LowConfidenceOptions));
    }
}
