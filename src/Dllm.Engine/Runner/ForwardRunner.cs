using Dllm.Model;
using Dllm.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Runner;

/// <summary>
/// Prepares batched forwards for a <see cref="LLaDA2Model"/> and runs them: checks the requests, lays them out
/// (<see cref="BatchLayout"/> on the host, <see cref="BatchGeometry"/> on the device) and runs the model's network on
/// them, op by op or, with CUDA graphs on, replayed from the graph of the batch's shape (<see cref="ForwardGraphs"/>).
/// The model knows nothing of requests or graphs; this is the one place that turns requests into model inputs.
/// </summary>
public sealed class ForwardRunner(LLaDA2Model model) : IDisposable
{
    private ForwardGraphs? _graphs;
    private long _inputTicks;

    /// <summary>The model it runs.</summary>
    public LLaDA2Model Model => model;

    /// <summary>
    /// Captures steps in CUDA graphs from now on (<see cref="ForwardGraphs"/>): a forward that computes logits is
    /// replayed from a graph of its shape instead of issued op by op. Needs a single-device CUDA model and
    /// <c>libdllm_cuda.so</c> (<see cref="CudaNative"/>); returns why not otherwise, and forwards stay eager.
    /// </summary>
    /// <param name="batchSizes">The batch sizes captured (null: <see cref="GraphBatchSizes.Default"/> up to
    /// <see cref="DefaultMaxGraphBatch"/>, padded).</param>
    /// <param name="maxGraphs">Graphs kept (least recently used ones are freed).</param>
    /// <returns>Null when graphs are on, else the reason they are not.</returns>
    public string? EnableCudaGraphs(GraphBatchSizes? batchSizes = null, int maxGraphs = ForwardGraphs.DefaultCapacity)
    {
        if (model.Placement.Stages.Count != 1)
            return "CUDA graphs need the whole model on one device (this model is split over several)";
        if (model.Device.type != DeviceType.CUDA)
            return $"CUDA graphs need a CUDA device (the model is on {model.Device})";
        if (!CudaNative.IsAvailable)
            return CudaNative.UnavailableReason;
        _graphs ??= new ForwardGraphs(model, maxGraphs, batchSizes ?? GraphBatchSizes.Default(DefaultMaxGraphBatch));
        return null;
    }

    /// <summary>The largest batch captured when no sizes are given.</summary>
    public const int DefaultMaxGraphBatch = 256;

    /// <summary>Frees every captured graph; forwards run op by op again.</summary>
    public void DisableCudaGraphs()
    {
        _graphs?.Dispose();
        _graphs = null;
    }

    /// <summary>Whether steps are replayed from CUDA graphs (<see cref="EnableCudaGraphs"/>).</summary>
    public bool UsesCudaGraphs => _graphs is not null;

    /// <summary>Graphs captured so far (for benchmarks and logs).</summary>
    public int CudaGraphsCaptured => _graphs?.Captured ?? 0;

    /// <summary>Graphs freed to stay within the capacity (for benchmarks: evictions in steady serving mean recaptures).</summary>
    public int CudaGraphsEvicted => _graphs?.Evicted ?? 0;

    /// <summary>Time spent capturing them (for benchmarks: a capture inside a timed run is not steady serving).</summary>
    public TimeSpan CudaGraphCaptureTime => _graphs?.CaptureTime ?? TimeSpan.Zero;

    /// <summary>The batch sizes graphs are captured for; null while graphs are off.</summary>
    public GraphBatchSizes? CudaGraphBatchSizes => _graphs?.BatchSizes;

    /// <summary>Host time spent laying out forwards' inputs so far (checks, layouts, reloads of a graph's inputs and their
    /// copies to the device), for benchmarks: on CUDA the rest of a forward's host time is enqueueing it.</summary>
    public TimeSpan InputTime => System.Diagnostics.Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _inputTicks) + (_graphs?.InputTicks ?? 0));

    /// <summary>The MoE path <paramref name="path"/> stands for in a forward of <paramref name="tokens"/> tokens.</summary>
    public MoePath ResolveMoePath(MoePath path, long tokens)
    {
        if (path != MoePath.Auto)
            return path;
        bool manyTokens = tokens > MoeExperts.GroupedPathMinTokens;
        if (CudaNative.Serves(model.Device) && model.DType == ScalarType.BFloat16)
            return UsesCudaGraphs || manyTokens ? MoePath.GroupedGemm : MoePath.AllExperts; // eager: the fewest ops
        return manyTokens ? MoePath.GroupedByExpert : MoePath.AllExperts;
    }

    /// <summary>
    /// Runs the new tokens of every request through the model. Attention: a new token sees its request's
    /// cached prefix and the new tokens of earlier or the same block (block size <paramref name="blockSize"/>).
    /// With CUDA graphs on, the returned logits view a buffer that the next forward of the same batch shape
    /// overwrites: read them before the next forward.
    /// </summary>
    /// <param name="requests">The batch; every request brings the same number of new tokens.</param>
    /// <param name="cache">K/V of the prefixes; with <paramref name="writeCache"/> the new tokens' K/V are stored.</param>
    /// <param name="blockSize">Diffusion block size B.</param>
    /// <param name="writeCache">Store the new tokens' K/V at their positions (prefill, clean pass).</param>
    /// <param name="computeLogits">Run the final norm and lm_head (not needed for a prefill).</param>
    /// <param name="moePath">How routed experts are computed.</param>
    /// <param name="logitsFrom">The first new token of each request whose logits are computed.</param>
    /// <returns>Logits [B, n - logitsFrom, V] in the model's dtype (<see cref="LogitsProjection"/>), or null when <paramref name="computeLogits"/> is false.</returns>
    public Tensor? Forward(IReadOnlyList<ForwardRequest> requests, KvCache cache, int blockSize, bool writeCache, bool computeLogits = true, MoePath moePath = MoePath.Auto,
        int logitsFrom = 0)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        ArgumentOutOfRangeException.ThrowIfLessThan(requests.Count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        foreach (var request in requests)
        {
            int pages = Math.Min(request.PagesUsed(cache.PageSize), request.PageTable.Count);
            for (int i = 0; i < pages; i++)
            {
                if (request.PageTable[i] < 0 || request.PageTable[i] >= cache.Pages)
                    throw new ArgumentOutOfRangeException(nameof(requests), $"page {request.PageTable[i]} is not in the cache (0..{cache.Pages - 1})");
            }
            var bad = request.TokenIds.FirstOrDefault(id => id < 0 || id >= model.Config.VocabSize, -1);
            if (bad != -1)
                throw new ArgumentOutOfRangeException(nameof(requests), $"token id {bad} is outside the vocabulary (0..{model.Config.VocabSize - 1})");
        }
        var path = ResolveMoePath(moePath, (long)requests.Count * requests[0].TokenIds.Length);
        using var inference = inference_mode();
        if (computeLogits && _graphs is not null && ForwardGraphs.CanCapture(path))
        {
            Interlocked.Add(ref _inputTicks, System.Diagnostics.Stopwatch.GetTimestamp() - started);
            if (_graphs.Run(requests, cache, blockSize, writeCache, path, logitsFrom) is { } logits)
                return logits;
            started = System.Diagnostics.Stopwatch.GetTimestamp(); // no graph of this batch size: op by op
        }
        return ForwardEagerly(requests, cache, blockSize, writeCache, computeLogits, path, logitsFrom, started);
    }

    private Tensor? ForwardEagerly(IReadOnlyList<ForwardRequest> requests, KvCache cache, int blockSize, bool writeCache, bool computeLogits, MoePath path, int logitsFrom,
        long started)
    {
        using var batch = new BatchGeometry(new BatchLayout(requests, blockSize, cache.PageSize), model.Device);
        Interlocked.Add(ref _inputTicks, System.Diagnostics.Stopwatch.GetTimestamp() - started);
        return model.Forward(batch, cache, writeCache, computeLogits, path, logitsFrom: logitsFrom);
    }

    /// <inheritdoc />
    public void Dispose() => DisableCudaGraphs();
}
