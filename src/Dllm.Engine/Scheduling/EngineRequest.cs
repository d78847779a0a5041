using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Dllm.Decoding;
using Dllm.Tokenization;
using TorchSharp;

namespace Dllm.Scheduling;

/// <summary>A request inside the engine: its prompt, settings and decoding state. Owned by the scheduler
/// thread after submission; only <see cref="Cancel"/> is called from other threads.</summary>
internal sealed class EngineRequest : IDisposable
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private volatile string? _cancelReason;

    public EngineRequest(string id, int[] promptIds, SamplingParams sampling, IDiffusionAlgorithm algorithm, StreamingDetokenizer detokenizer,
        string? queueGroup = null, TimeSpan? timeout = null, StepRecorder? steps = null)
    {
        Steps = steps;
        Id = id;
        QueueGroup = queueGroup;
        Timeout = timeout;
        PromptIds = promptIds;
        Sampling = sampling;
        Algorithm = algorithm;
        Detokenizer = detokenizer;
        Generator = TokenSampler.CreateGenerator(sampling);
    }

    public string Id { get; }

    /// <summary>The waiting queue's fairness group (null: its own).</summary>
    public string? QueueGroup { get; }

    /// <summary>The deadline from submission, or null.</summary>
    public TimeSpan? Timeout { get; }
    public int[] PromptIds { get; }
    public SamplingParams Sampling { get; }
    public IDiffusionAlgorithm Algorithm { get; }
    public StreamingDetokenizer Detokenizer { get; }
    public torch.Generator? Generator { get; }
    public Channel<GenerationUpdate> Updates { get; } = Channel.CreateUnbounded<GenerationUpdate>(new UnboundedChannelOptions { SingleWriter = true });

    /// <summary>The recorder of its denoising steps when it asked for them, else null (nothing recorded).</summary>
    public StepRecorder? Steps { get; }

    /// <summary>The K/V cache pages of its positions 0 onwards while running (up to the end of its current block at least;
    /// one more page is taken as each block starts), else null.</summary>
    public int[]? PageTable { get; set; }

    /// <summary>Positions whose K/V came from the prefix cache at its last admission (its prefill starts there).</summary>
    public int CachedLength { get; set; }

    /// <summary>Prompt positions whose K/V came from the prefix cache at its first admission (what its updates report).</summary>
    public int PromptCachedLength { get; set; }

    /// <summary>Its admission's number in the scheduler's order (the most recent is retracted first).</summary>
    public long AdmittedAt { get; set; }

    /// <summary>Times it was retracted (its pages taken back for an older request's next block).</summary>
    public int Retractions { get; set; }

    /// <summary>The known tokens of its positions 0 onwards: the prompt, then the output of its resolved blocks.</summary>
    public int[] KnownTokens() => [.. PromptIds, .. OutputIds];

    /// <summary>Whether it has waited at the head of the queue for K/V pages (logged once).</summary>
    public bool WaitedForPages { get; set; }

    /// <summary>Absolute position of the current block's first slot (= tokens whose K/V are cached).</summary>
    public int BlockStart { get; set; }

    /// <summary>The block being denoised.</summary>
    public BlockState? Block { get; private set; }

    private int _blockStartSteps;
    private torch.Tensor? _blockStartGenerator;

    /// <summary>Starts denoising <paramref name="block"/>, remembering what <see cref="RestartBlock"/> rewinds to: the step
    /// count and the seeded generator's state.</summary>
    public void StartBlock(BlockState block)
    {
        Block = block;
        _blockStartSteps = DenoisingSteps;
        _blockStartGenerator?.Dispose();
        _blockStartGenerator = Generator?.get_state();
    }

    /// <summary>Discards the current block (on retraction): the steps it took are forgotten (count, recorded steps, the
    /// seeded generator's draws), so that it is denoised again exactly as it would have been had it not been retracted.</summary>
    public void RestartBlock()
    {
        Block = null;
        PendingCleanTokens = null;
        DenoisingSteps = _blockStartSteps;
        Steps?.Discard();
        if (_blockStartGenerator is not null)
            Generator!.set_state(_blockStartGenerator);
    }

    /// <summary>The tokens right before the current block whose K/V are not in the cache yet, stored by the next clean
    /// pass (fused with the next step, or run before it), or null: the block that resolved last, or, just after
    /// admission, a short uncached tail of the known tokens left to the first step's forward (whole blocks; the
    /// scheduler's deferred prefill).</summary>
    public int[]? PendingCleanTokens { get; set; }

    /// <summary>Generated ids kept so far.</summary>
    public List<int> OutputIds { get; } = [];

    /// <summary>Generated text emitted so far.</summary>
    public string Text { get; set; } = "";

    public int DenoisingSteps { get; set; }

    /// <summary>The request's span (see <see cref="Diagnostics.EngineTelemetry"/>), or null when nobody listens.</summary>
    public Activity? Activity { get; set; }

    /// <summary>Blocks resolved so far.</summary>
    public int BlocksResolved { get; set; }

    /// <summary>When the first block resolved (from submission), or null before.</summary>
    public TimeSpan? FirstBlockAt { get; set; }

    /// <summary>Tokens the first block kept.</summary>
    public int FirstBlockTokens { get; set; }

    public TimeSpan Elapsed => _clock.Elapsed;

    public string? CancelReason => _cancelReason;

    public bool IsCancelled => _cancelReason is not null;

    /// <summary>Why the request must end now without finishing: its cancellation, or its deadline having passed; else null.</summary>
    public string? StopReason => _cancelReason ?? (Timeout is TimeSpan timeout && _clock.Elapsed > timeout
        ? string.Create(CultureInfo.InvariantCulture, $"deadline of {timeout.TotalSeconds:0.###} s exceeded")
        : null);

    public bool IsFinished { get; set; }

    /// <summary>Its next update for <see cref="Updates"/>: <paramref name="delta"/> and <paramref name="newIds"/> (what the
    /// block just resolved added), its state so far, the steps recorded since the previous update (drained), and, when
    /// <paramref name="finish"/> is given, how it ended and its latency.</summary>
    public GenerationUpdate NextUpdate(string delta, IReadOnlyList<int> newIds, FinishReason? finish) => new()
    {
        RequestId = Id,
        TextDelta = delta,
        NewIds = newIds,
        Text = Text,
        OutputIds = OutputIds.ToArray(),
        PromptTokens = PromptIds.Length,
        CachedTokens = PromptCachedLength,
        DenoisingSteps = DenoisingSteps,
        Steps = Steps?.Drain(),
        FinishReason = finish,
        Latency = finish is null ? null : Elapsed,
    };

    /// <summary>Asks the scheduler to abort this request at the next step boundary (thread-safe).</summary>
    public void Cancel(string reason) => _cancelReason ??= reason;

    public void Dispose()
    {
        _blockStartGenerator?.Dispose();
        Generator?.Dispose();
    }
}
