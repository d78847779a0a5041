using System.Runtime.CompilerServices;

namespace Dllm;

/// <summary>One streamed update: a resolved block (the first may be shorter than the block size), or the end.</summary>
public sealed record GenerationUpdate
{
    /// <summary>The request id.</summary>
    public required string RequestId { get; init; }

    /// <summary>Text added by this update.</summary>
    public required string TextDelta { get; init; }

    /// <summary>Token ids added by this update.</summary>
    public required IReadOnlyList<int> NewIds { get; init; }

    /// <summary>All text so far.</summary>
    public required string Text { get; init; }

    /// <summary>All generated ids so far.</summary>
    public required IReadOnlyList<int> OutputIds { get; init; }

    /// <summary>Prompt length in tokens.</summary>
    public required int PromptTokens { get; init; }

    /// <summary>Prompt tokens whose K/V came from the prefix cache (SGLang's <c>cached_tokens</c>); 0 without a hit.</summary>
    public int CachedTokens { get; init; }

    /// <summary>Denoising forwards so far.</summary>
    public required int DenoisingSteps { get; init; }

    /// <summary>
    /// With <see cref="GenerateRequest.ReturnSteps"/>: the denoising steps since the previous update, in order (the last
    /// update of an aborted request may list steps of a block that never resolved); otherwise null.
    /// </summary>
    public IReadOnlyList<DenoisingStep>? Steps { get; init; }

    /// <summary>Set on the last update.</summary>
    public FinishReason? FinishReason { get; init; }

    /// <summary>Set on the last update.</summary>
    public TimeSpan? Latency { get; init; }

    /// <summary>The result of a whole stream: its last update (the one with the finish reason) as a result.</summary>
    internal static async Task<GenerationResult> LastAsResultAsync(IAsyncEnumerable<GenerationUpdate> updates)
    {
        GenerationUpdate? last = null;
        await foreach (var update in updates.ConfigureAwait(false))
            last = update;
        return last!.ToResult();
    }

    /// <summary>The stream of <paramref name="request"/> prepared by <paramref name="generator"/> when the stream is first read.</summary>
    internal static async IAsyncEnumerable<GenerationUpdate> PrepareThenStreamAsync(IDllmGenerator generator, GenerateRequest request,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var update in generator.GenerateStreamingAsync(generator.Prepare(request), cancellationToken).ConfigureAwait(false))
            yield return update;
    }

    /// <summary>The result this final update describes.</summary>
    public GenerationResult ToResult() => new()
    {
        RequestId = RequestId, Text = Text, OutputIds = OutputIds,
        FinishReason = FinishReason ?? throw new InvalidOperationException("not the final update"),
        PromptTokens = PromptTokens, CachedTokens = CachedTokens, DenoisingSteps = DenoisingSteps, Latency = Latency ?? TimeSpan.Zero,
    };
}
