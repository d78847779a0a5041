using Dllm.Model;
using static TorchSharp.torch;

namespace Dllm.Runner;

/// <summary>
/// The model's forwards captured as CUDA graphs, one per <see cref="ForwardShape"/>, captured on first use and
/// replayed after. Prefixes are padded up to a multiple of <see cref="PrefixBucket"/> (the padding is masked), so one
/// graph serves a request for several blocks. Graphs with the same logits rows per request write them into the leading rows
/// of one shared buffer (grown by doubling when a larger batch comes; graphs captured before keep the older one alive),
/// so the logits memory follows the largest batch, not the number of batch sizes met (at 256 requests one
/// [256, 32, vocabulary] bf16 buffer is 2.6 GB); the least recently used graph is freed beyond <see cref="Capacity"/>.
/// Batch sizes are those of <paramref name="batchSizes"/>: a batch between two of them replays the larger one's graph
/// with padding rows (<see cref="PaddedBatch"/>), so serving captures a bounded set of graphs.
/// </summary>
internal sealed class ForwardGraphs(LLaDA2Model model, int capacity, GraphBatchSizes batchSizes) : IDisposable
{
    /// <summary>Graphs kept by default.</summary>
    public const int DefaultCapacity = 32;

    /// <summary>Prefix lengths are rounded up to a multiple of this.</summary>
    public const int PrefixBucket = 256;

    private readonly Dictionary<ForwardShape, CapturedForward> _graphs = [];
    private readonly Dictionary<int, Tensor> _logits = []; // by logits rows per request: the newest (largest) buffer
    private long _clock;

    public int Capacity { get; } = Math.Max(1, capacity);

    /// <summary>The batch sizes captured.</summary>
    public GraphBatchSizes BatchSizes { get; } = batchSizes;

    /// <summary>Graphs captured so far (including freed ones).</summary>
    public int Captured { get; private set; }

    /// <summary>Graphs freed to stay within <see cref="Capacity"/> (a shape used again after that is captured again).</summary>
    public int Evicted { get; private set; }

    /// <summary>Host time spent loading replays' inputs (Stopwatch ticks; a capture's own layout is in <see cref="CaptureTime"/>).</summary>
    public long InputTicks { get; private set; }

    /// <summary>Time spent capturing them (warm-up and capture; the forward of the shape's first call included).</summary>
    public TimeSpan CaptureTime { get; private set; }

    /// <summary>Whether forwards on <paramref name="path"/> can be captured (the capacity-padded grouped path needs a
    /// host sync per layer, so it runs eagerly).</summary>
    public static bool CanCapture(MoePath path) => path is MoePath.AllExperts or MoePath.GroupedGemm;

    /// <summary>The prefix length a graph for <paramref name="longestPrefix"/> is captured with.</summary>
    public static int PaddedPrefix(int longestPrefix) => (longestPrefix + PrefixBucket - 1) / PrefixBucket * PrefixBucket;

    /// <summary>Runs the forward from its graph (capturing it first when new), the batch padded up to its graph's batch
    /// size. Returns logits [B, n - logitsFrom, V] in the model's dtype (<see cref="LogitsProjection"/>), a view of a buffer that the next forward with as many logits rows
    /// per request overwrites; null when no graph serves this batch size (<see cref="GraphBatchSizes.GraphBatchFor"/>):
    /// the caller runs it op by op.</summary>
    public Tensor? Run(IReadOnlyList<ForwardRequest> requests, KvCache cache, int blockSize, bool writeCache, MoePath path, int logitsFrom = 0)
    {
        int tokens = requests[0].TokenIds.Length, prefix = PaddedPrefix(requests.Max(r => r.Start));
        if (BatchSizes.GraphBatchFor(requests.Count, PaddedBatch.CanPad(cache, tokens)) is not int batch)
            return null;
        int real = requests.Count;
        requests = PaddedBatch.Pad(requests, batch, cache);
        var shape = new ForwardShape(batch, tokens, prefix, writeCache, path, cache.Id, logitsFrom);
        if (!_graphs.TryGetValue(shape, out var graph))
        {
            EvictIfFull();
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            var logits = LogitsView(batch, shape.LogitsTokens);
            try
            {
                graph = CapturedForward.Capture(model, requests, blockSize, prefix, cache, writeCache, path, logits, logitsFrom);
            }
            catch
            {
                logits.Dispose();
                throw;
            }
            CaptureTime += System.Diagnostics.Stopwatch.GetElapsedTime(started);
            _graphs.Add(shape, graph);
            Captured++;
        }
        graph.LastUsed = ++_clock;
        long loading = System.Diagnostics.Stopwatch.GetTimestamp();
        graph.Load(requests, blockSize, cache.PageSize);
        InputTicks += System.Diagnostics.Stopwatch.GetTimestamp() - loading;
        graph.Replay();
        return batch == real ? graph.Logits.alias() : graph.Logits.narrow(0, 0, real);
    }

    /// <summary>The leading <paramref name="batch"/> rows of the shared buffer of <paramref name="tokens"/> tokens, a new
    /// view the capturing graph owns.</summary>
    private Tensor LogitsView(int batch, int tokens)
    {
        if (!_logits.TryGetValue(tokens, out var buffer) || buffer.shape[0] < batch)
        {
            long rows = Math.Max(batch, buffer is null ? 0 : 2 * buffer.shape[0]);
            buffer?.Dispose(); // the graphs that write into it hold views of their own
            buffer = empty([rows, tokens, model.Config.VocabSize], LogitsProjection.DTypeFor(model.DType), model.Device).DetachFromDisposeScope();
            _logits[tokens] = buffer;
        }
        return buffer.narrow(0, 0, batch).DetachFromDisposeScope();
    }

    private void EvictIfFull()
    {
        while (_graphs.Count >= Capacity)
        {
            var oldest = _graphs.MinBy(pair => pair.Value.LastUsed);
            oldest.Value.Dispose();
            _graphs.Remove(oldest.Key);
            Evicted++;
            // A shared buffer goes with the last graph that writes into it.
            int tokens = oldest.Key.LogitsTokens;
            if (!_graphs.Keys.Any(k => k.LogitsTokens == tokens) && _logits.Remove(tokens, out var buffer))
                buffer.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var graph in _graphs.Values)
            graph.Dispose();
        _graphs.Clear();
        foreach (var buffer in _logits.Values)
            buffer.Dispose();
        _logits.Clear();
    }
}
