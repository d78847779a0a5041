namespace Dllm.Decoding;

/// <summary>
/// Settings of <see cref="JointThresholdAlgorithm"/> (YAML keys <c>threshold</c>, <c>edit_threshold</c>,
/// <c>max_post_edit_steps</c>, <c>penalty_lambda</c>, <c>block_size</c>).
/// </summary>
public sealed record JointThresholdOptions
{
    /// <summary>The YAML keys this algorithm accepts.</summary>
    public static IReadOnlyList<AlgorithmConfigKey> Keys { get; } =
    [
        AlgorithmConfigKeys.Threshold, AlgorithmConfigKeys.EditThreshold, AlgorithmConfigKeys.MaxPostEditSteps,
        AlgorithmConfigKeys.PenaltyLambda, AlgorithmConfigKeys.BlockSize,
    ];

    /// <summary>A masked slot is filled when its confidence is strictly greater than this (0..1).</summary>
    public double Threshold { get; init; } = 0.5;

    /// <summary>A filled (non-prompt) slot is rewritten when its proposal differs and its confidence is strictly greater than this (0..1).</summary>
    public double EditThreshold { get; init; }

    /// <summary>Steps allowed once the block has no mask left (0 = the block ends when its last mask is filled).</summary>
    public int MaxPostEditSteps { get; init; } = 16;

    /// <summary>Subtracted from the logit of the previous position's token (2-gram repetition penalty); 0 = off.</summary>
    public double PenaltyLambda { get; init; }

    /// <summary>Tokens per block (1..1024).</summary>
    public int BlockSize { get; init; } = 32;

    /// <summary>The options of <paramref name="config"/>, defaults for the keys it does not set.</summary>
    public static JointThresholdOptions FromConfig(DiffusionAlgorithmConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var defaults = new JointThresholdOptions();
        return new()
        {
            Threshold = config.GetNumber(AlgorithmConfigKeys.Threshold, defaults.Threshold),
            EditThreshold = config.GetNumber(AlgorithmConfigKeys.EditThreshold, defaults.EditThreshold),
            MaxPostEditSteps = config.GetInteger(AlgorithmConfigKeys.MaxPostEditSteps, defaults.MaxPostEditSteps),
            PenaltyLambda = config.GetNumber(AlgorithmConfigKeys.PenaltyLambda, defaults.PenaltyLambda),
            BlockSize = config.GetInteger(AlgorithmConfigKeys.BlockSize, defaults.BlockSize),
        };
    }

    /// <summary>Range-checks every value.</summary>
    /// <exception cref="AlgorithmConfigException">A value is out of range.</exception>
    public void Validate()
    {
        const string source = nameof(JointThresholdOptions);
        AlgorithmConfigKeys.Threshold.Check(Threshold, source);
        AlgorithmConfigKeys.EditThreshold.Check(EditThreshold, source);
        AlgorithmConfigKeys.MaxPostEditSteps.Check(MaxPostEditSteps, source);
        AlgorithmConfigKeys.PenaltyLambda.Check(PenaltyLambda, source);
        AlgorithmConfigKeys.BlockSize.Check(BlockSize, source);
    }
}
