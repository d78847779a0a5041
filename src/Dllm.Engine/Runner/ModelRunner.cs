using System.Diagnostics;
using Dllm.Decoding;
using Dllm.Model;
using Dllm.Scheduling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Runner;

/// <summary>The model and its K/V cache, driven in the three kinds of forward a diffusion request needs:
/// prompt prefill, a denoising step over the current blocks, and the clean pass that stores a resolved block's K/V;
/// and a step's proposals (<see cref="Propose"/>: forward, logits post-processing, sampling), so the scheduler deals in
/// tokens and confidences only.</summary>
internal sealed class ModelRunner(LLaDA2Model model, KvCache cache, TokenSampler sampler) : IDisposable
{
    private readonly ForwardRunner _forwards = new(model);

    public LLaDA2Model Model => model;

    /// <summary>Replays steps from CUDA graphs from now on (<see cref="ForwardRunner.EnableCudaGraphs"/>); null, or why not.</summary>
    public string? EnableCudaGraphs(GraphBatchSizes batchSizes) => _forwards.EnableCudaGraphs(batchSizes);

    /// <summary>Where <see cref="Propose"/>'s time goes: up to the logits, and after.</summary>
    public ProposeProfile Profile { get; } = new();

    /// <summary>The CUDA graphs: on or off, their batch sizes, the captures so far, their time and the graphs evicted.</summary>
    public CudaGraphStats CudaGraphStats => new()
    {
        Enabled = _forwards.UsesCudaGraphs,
        BatchSizes = _forwards.CudaGraphBatchSizes?.Sizes ?? [],
        Padding = _forwards.CudaGraphBatchSizes?.Padding ?? false,
        Captured = _forwards.CudaGraphsCaptured,
        Evicted = _forwards.CudaGraphsEvicted,
        CaptureTime = _forwards.CudaGraphCaptureTime,
    };

    public KvCache Cache => cache;

    /// <summary>
    /// Whether a step whose group mixes requests with and without a resolved block is still one fused forward, the
    /// others bringing placeholders (<see cref="StepWithCleanPass"/>). By default when steps replay CUDA graphs: a
    /// graphed step is bound by reading the weights, so one forward of twice the tokens costs less than a clean pass
    /// run op by op and then the step. Op by op on a CPU the placeholders' compute is real (measured on CPU: 16 % fewer
    /// tokens/s with them), so there the separate clean pass stays. Set it to force either (tests, benchmarks).
    /// </summary>
    internal bool? PlaceholderFusion { get; set; }

    /// <summary>The effective <see cref="PlaceholderFusion"/>.</summary>
    public bool FusesWithPlaceholders => PlaceholderFusion ?? _forwards.UsesCudaGraphs;

    /// <summary>
    /// A test seam: called before every forward with its kind (<c>prefill</c>, <c>step</c>, <c>clean</c>), and by the
    /// scheduler after a step's sampling (<c>sample</c>), with the ids of its requests; an exception it throws is a
    /// failure at that point. Null (always, outside tests): no call.
    /// </summary>
    internal Action<string, IReadOnlyList<string>>? FaultInjection { get; set; }

    /// <summary>Calls <see cref="FaultInjection"/>, when set, for a point of kind <paramref name="kind"/>.</summary>
    public void Inject(string kind, IEnumerable<EngineRequest> requests) => FaultInjection?.Invoke(kind, requests.Select(r => r.Id).ToList());

    /// <summary>Stores the K/V of each pending request's known tokens from the end of its cached prefix to the start of its
    /// current block (<see cref="PendingPrefill"/>), all in one forward (block-causal, over each one's cached prefix):
    /// every request of <paramref name="batch"/> has the same block size and count of new tokens
    /// (<see cref="PrefillBatches"/>). No forward when there is nothing to compute.</summary>
    public void Prefill(IReadOnlyList<PendingPrefill> batch)
    {
        Inject("prefill", batch.Select(p => p.Request));
        if (batch[0].NewTokens > 0)
        {
            var requests = batch.Select(p => new ForwardRequest(p.Request.PageTable!, p.Cached, p.Tokens[p.Cached..p.Prefix])).ToList();
            _forwards.Forward(requests, cache, batch[0].BlockSize, writeCache: true, computeLogits: false);
            Profile.SyncIfProfiling(model.Device);
        }
    }

    /// <summary>One denoising step over every request's current block: logits [R, B, V] in the model's dtype.</summary>
    public torch.Tensor Step(IReadOnlyList<EngineRequest> requests, int blockSize)
    {
        Inject("step", requests);
        return _forwards.Forward(Blocks(requests), cache, blockSize, writeCache: false)!;
    }

    /// <summary>
    /// The clean pass of the requests' pending tokens (<see cref="EngineRequest.PendingCleanTokens"/>: a resolved block,
    /// or a deferred prefill's tail) fused with the step of every request's current block: one forward per request of
    /// its pending tokens and its block that stores the K/V of the pending tokens (the current blocks' K/V are
    /// placeholders, overwritten by their own clean pass before anything reads them) and returns the logits of the
    /// current blocks only, [R, B, V] in the model's dtype. Every request's pending tokens are as many (L); a request with none brings L
    /// copies of its current block's tokens as placeholders (<see cref="ForwardRequest.Placeholders"/>), so the whole
    /// group is one forward of one shape. Exact: block-causal attention keeps the pending tokens blind to the current
    /// block, so their K/V equal those of a separate clean pass, every current block sees exactly the K/V it would read
    /// from the cache, and no one sees a placeholder.
    /// </summary>
    public torch.Tensor StepWithCleanPass(IReadOnlyList<EngineRequest> requests, int blockSize)
    {
        Inject("step", requests);
        int pending = requests.Max(r => r.PendingCleanTokens?.Length ?? 0);
        var forward = requests.Select(r => r.PendingCleanTokens is { } clean
            ? new ForwardRequest(r.PageTable!, r.BlockStart - clean.Length, [.. clean, .. r.Block!.Tokens])
            : new ForwardRequest(r.PageTable!, r.BlockStart, [.. Enumerable.Repeat(r.Block!.Tokens, pending / blockSize + 1).SelectMany(t => t)],
                Placeholders: pending)).ToList();
        return _forwards.Forward(forward, cache, blockSize, writeCache: true, logitsFrom: pending)!;
    }

    /// <summary>Stores the K/V of the requests' pending tokens (the clean pass, not fused with a step): one forward per
    /// count of pending tokens.</summary>
    public void StorePendingBlocks(IReadOnlyList<EngineRequest> requests, int blockSize)
    {
        Inject("clean", requests);
        foreach (var same in requests.GroupBy(r => r.PendingCleanTokens!.Length))
        {
            _forwards.Forward(same.Select(r => new ForwardRequest(r.PageTable!, r.BlockStart - r.PendingCleanTokens!.Length, r.PendingCleanTokens!)).ToList(),
                cache, blockSize, writeCache: true, computeLogits: false);
        }
    }

    /// <summary>
    /// The device part of one denoising step of <paramref name="group"/> (one block size): the pending clean passes
    /// (fused with the step when <paramref name="fuseCleanPass"/>), the forward, the logits
    /// post-processing (mask id suppressed, the algorithms' adjustments) and the sampling, with ONE device-to-host copy.
    /// Leaves the requests' decoding state as it was, but for K/V stores (which a retry repeats exactly).
    /// </summary>
    public SampledProposals Propose(IReadOnlyList<EngineRequest> group, int blockSize, bool fuseCleanPass)
    {
        long start = Stopwatch.GetTimestamp();
        var inputsBefore = _forwards.InputTime;
        // Fused, the requests with a resolved block store it in the step's forward. When only some have one, the others
        // fill the forward's shape with placeholders where that pays (FusesWithPlaceholders); else the pending blocks
        // are stored in one batched clean pass and everyone steps together.
        var pending = group.Where(r => r.PendingCleanTokens is not null).ToList();
        bool fused = fuseCleanPass && pending.Count > 0 && pending.All(r => r.PendingCleanTokens!.Length == pending[0].PendingCleanTokens!.Length)
            && (pending.Count == group.Count || FusesWithPlaceholders);
        if (!fused && pending.Count > 0)
        {
            StorePendingBlocks(pending, blockSize);
            foreach (var request in pending)
                request.PendingCleanTokens = null;
        }
        using var logits = fused ? StepWithCleanPass(group, blockSize) : Step(group, blockSize);
        Profile.SyncIfProfiling(logits.device);
        long logitsReady = Stopwatch.GetTimestamp();
        foreach (var request in group)
            request.PendingCleanTokens = null;
        // The mask token is never a valid proposal: a slot "committed" to it would stay masked.
        using (var maskColumn = logits.select(-1, model.Config.MaskTokenId))
            maskColumn.fill_(double.NegativeInfinity);
        using var scores = AdjustLogits(group, logits);
        var proposals = sampler.Propose(scores, group.Select(r => r.Sampling).ToList(), group.Select(r => r.Generator).ToList());
        Inject("sample", group);
        Profile.Add(start, logitsReady, _forwards.InputTime - inputsBefore);
        return proposals;
    }

    /// <summary>The logits after the algorithms' adjustments, for the requests whose algorithm makes one: the logits as
    /// they are (an alias) when none does, else their fp32 widening with the adjustments made in place (they are defined
    /// on fp32 logits). Their previous tokens go to the device in one copy for the whole group (a copy from the host
    /// waits for the device: one wait a step, not one a request).</summary>
    private static torch.Tensor AdjustLogits(IReadOnlyList<EngineRequest> group, torch.Tensor modelLogits)
    {
        var adjusting = Enumerable.Range(0, group.Count).Where(i => group[i].Algorithm.AdjustsLogits).ToList();
        if (adjusting.Count == 0)
            return modelLogits.alias();
        var logits = LogitsWidening.ToFloat(modelLogits);
        int block = (int)logits.shape[1];
        var ids = new long[adjusting.Count * block];
        for (int j = 0; j < adjusting.Count; j++)
            PreviousTokens(group[adjusting[j]]).CopyTo(ids, j * block);
        using var previous = torch.tensor(ids, [adjusting.Count, block], device: logits.device);
        for (int j = 0; j < adjusting.Count; j++)
        {
            using var row = logits.narrow(0, adjusting[j], 1);
            using var mine = previous.narrow(0, j, 1);
            using var adjusted = group[adjusting[j]].Algorithm.AdjustLogits(row, mine);
            if (adjusted is not null)
                row.copy_(adjusted);
        }
        return logits;
    }

    private static long[] PreviousTokens(EngineRequest request)
    {
        var block = request.Block!.Tokens;
        var previous = new long[block.Length];
        int before = request.BlockStart - 1;
        previous[0] = before < 0 ? block[0] : before < request.PromptIds.Length ? request.PromptIds[before] : request.OutputIds[^1];
        for (int i = 1; i < block.Length; i++)
            previous[i] = block[i - 1];
        return previous;
    }

    private static List<ForwardRequest> Blocks(IReadOnlyList<EngineRequest> requests) =>
        requests.Select(r => new ForwardRequest(r.PageTable!, r.BlockStart, r.Block!.Tokens)).ToList();

    public void Dispose()
    {
        _forwards.Dispose();
        cache.Dispose();
        model.Dispose();
    }
}
