namespace Dllm;

/// <summary>The finished output of one request.</summary>
public sealed record GenerationResult
{
    /// <summary>The request id.</summary>
    public required string RequestId { get; init; }

    /// <summary>The generated text (stop string trimmed unless <c>no_stop_trim</c>).</summary>
    public required string Text { get; init; }

    /// <summary>The generated token ids.</summary>
    public required IReadOnlyList<int> OutputIds { get; init; }

    /// <summary>Why generation ended.</summary>
    public required FinishReason FinishReason { get; init; }

    /// <summary>Prompt length in tokens.</summary>
    public required int PromptTokens { get; init; }

    /// <summary>Prompt tokens whose K/V came from the prefix cache (SGLang's <c>cached_tokens</c>); 0 without a hit.</summary>
    public int CachedTokens { get; init; }

    /// <summary>Generated tokens (<see cref="OutputIds"/> count).</summary>
    public int CompletionTokens => OutputIds.Count;

    /// <summary>Denoising forwards this request took part in.</summary>
    public required int DenoisingSteps { get; init; }

    /// <summary>Time from submission to the end.</summary>
    public required TimeSpan Latency { get; init; }
}
