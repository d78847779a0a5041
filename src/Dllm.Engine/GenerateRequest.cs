using Dllm.Decoding;

namespace Dllm;

/// <summary>One prompt to generate from: text (tokenized as is, no template) or token ids.</summary>
public sealed record GenerateRequest
{
    /// <summary>The prompt text; exactly one of <see cref="Text"/> and <see cref="InputIds"/>.</summary>
    public string? Text { get; init; }

    /// <summary>The prompt token ids; exactly one of <see cref="Text"/> and <see cref="InputIds"/>.</summary>
    public IReadOnlyList<int>? InputIds { get; init; }

    /// <summary>Sampling and stopping.</summary>
    public SamplingParams Sampling { get; init; } = new();

    /// <summary>
    /// Generate up to the end of the context: <c>max_new_tokens</c> becomes the context length less the prompt and one
    /// block (at least 0), whatever <see cref="SamplingParams.MaxNewTokens"/> says; resolved once, when the request is
    /// prepared (SGLang's behaviour for a chat request without a token limit).
    /// </summary>
    public bool UntilContextEnd { get; init; }

    /// <summary>A caller-chosen id (generated when null); used to abort.</summary>
    public string? RequestId { get; init; }

    /// <summary>Per-request confidence threshold override.</summary>
    public double? Threshold { get; init; }

    /// <summary>Per-request block size override.</summary>
    public int? BlockSize { get; init; }

    /// <summary>Per-request diffusion algorithm by name (null: the engine's), configured with the engine's algorithm settings.</summary>
    public string? Algorithm { get; init; }

    /// <summary>
    /// The waiting queue's fairness group: waiting requests are admitted round-robin across groups, so one caller's
    /// large batch (a server gives all prompts of one HTTP request one group) cannot starve a request queued after it.
    /// Null: the request is a group of its own.
    /// </summary>
    public string? QueueGroup { get; init; }

    /// <summary>
    /// The request's deadline, counted from submission; past it the request ends (waiting or running) with finish
    /// reason abort, "deadline of N s exceeded", and its output so far. Null: no deadline. Must be positive.
    /// </summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// Report every denoising step: each update's <see cref="GenerationUpdate.Steps"/> then lists the steps since the
    /// previous update (which positions each committed, with ids, text and confidences, and the masks left). Off (the
    /// default): <see cref="GenerationUpdate.Steps"/> is null and nothing is recorded.
    /// </summary>
    public bool ReturnSteps { get; init; }

    /// <summary>A text prompt.</summary>
    public static GenerateRequest FromText(string text, SamplingParams? sampling = null) => new() { Text = text, Sampling = sampling ?? new() };

    /// <summary>A token-id prompt.</summary>
    public static GenerateRequest FromIds(IReadOnlyList<int> ids, SamplingParams? sampling = null) => new() { InputIds = ids, Sampling = sampling ?? new() };
}
