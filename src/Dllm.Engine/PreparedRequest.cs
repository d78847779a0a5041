using Dllm.Decoding;

namespace Dllm;

/// <summary>
/// A request checked and tokenized once, by <see cref="IDllmGenerator.Prepare"/>: its id, its prompt as token ids and
/// the sampling it runs with (<see cref="GenerateRequest.UntilContextEnd"/> resolved into <c>max_new_tokens</c>).
/// <see cref="IDllmGenerator.GenerateStreamingAsync(PreparedRequest, CancellationToken)"/> runs it without checking or
/// tokenizing it again. Immutable; run it with the generator that prepared it (a decorator passes it on).
/// </summary>
public sealed class PreparedRequest
{
    private readonly int[] _promptIds;

    /// <summary>A prepared request of a generator other than the engine (a decorator, a test double).</summary>
    /// <param name="request">The request as given.</param>
    /// <param name="requestId">Its id (<see cref="GenerateRequest.RequestId"/> or one chosen for it).</param>
    /// <param name="promptIds">The prompt's token ids.</param>
    /// <param name="sampling">The sampling it runs with.</param>
    public PreparedRequest(GenerateRequest request, string requestId, IReadOnlyList<int> promptIds, SamplingParams sampling)
        : this(request, requestId, [.. promptIds ?? throw new ArgumentNullException(nameof(promptIds))], sampling, algorithm: null, preparer: null)
    {
    }

    internal PreparedRequest(GenerateRequest request, string requestId, int[] promptIds, SamplingParams sampling, IDiffusionAlgorithm? algorithm, object? preparer)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(requestId);
        ArgumentNullException.ThrowIfNull(sampling);
        Request = request;
        RequestId = requestId;
        _promptIds = promptIds;
        Sampling = sampling;
        Algorithm = algorithm;
        Preparer = preparer;
    }

    /// <summary>The request as given.</summary>
    public GenerateRequest Request { get; }

    /// <summary>The id it runs under (and is aborted by).</summary>
    public string RequestId { get; }

    /// <summary>The prompt's token ids.</summary>
    public IReadOnlyList<int> PromptIds => _promptIds;

    /// <summary>The prompt's length in tokens.</summary>
    public int PromptTokens => _promptIds.Length;

    /// <summary>The sampling it runs with: <see cref="GenerateRequest.Sampling"/>, with <c>max_new_tokens</c> resolved.</summary>
    public SamplingParams Sampling { get; }

    /// <summary>The prompt's ids as the engine keeps them (never changed after preparation).</summary>
    internal int[] PromptIdArray => _promptIds;

    /// <summary>The decoding algorithm the engine chose for it; null when another generator prepared it.</summary>
    internal IDiffusionAlgorithm? Algorithm { get; }

    /// <summary>The engine that prepared it; null when another generator did.</summary>
    internal object? Preparer { get; }
}
