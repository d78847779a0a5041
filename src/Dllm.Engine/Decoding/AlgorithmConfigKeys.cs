namespace Dllm.Decoding;

/// <summary>The YAML keys the built-in algorithms accept, shared so that a key means the same everywhere.</summary>
public static class AlgorithmConfigKeys
{
    /// <summary>Largest block size accepted.</summary>
    public const int MaxBlockSize = 1024;

    /// <summary><c>threshold</c>: a masked slot is committed when its confidence is strictly greater.</summary>
    public static AlgorithmConfigKey Threshold { get; } = new("threshold", IsInteger: false, Min: 0, Max: 1);

    /// <summary><c>block_size</c>: tokens per block.</summary>
    public static AlgorithmConfigKey BlockSize { get; } = new("block_size", IsInteger: true, Min: 1, Max: MaxBlockSize);

    /// <summary><c>edit_threshold</c>: a filled slot is rewritten when its proposal differs and is more confident than this.</summary>
    public static AlgorithmConfigKey EditThreshold { get; } = new("edit_threshold", IsInteger: false, Min: 0, Max: 1);

    /// <summary><c>max_post_edit_steps</c>: steps allowed after a block has no mask left.</summary>
    public static AlgorithmConfigKey MaxPostEditSteps { get; } =
        new("max_post_edit_steps", IsInteger: true, Min: 0, Max: int.MaxValue);

    /// <summary><c>penalty_lambda</c>: subtracted from the logit of the previous position's token.</summary>
    public static AlgorithmConfigKey PenaltyLambda { get; } =
        new("penalty_lambda", IsInteger: false, Min: 0, Max: double.PositiveInfinity);
}
