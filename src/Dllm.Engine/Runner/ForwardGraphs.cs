using Dllm.Model;
using static TorchSharp.torch;

namespace Dllm.Runner;

/// <summary>
/// The model's forwards captured as CUDA graphs, one per <see cref="ForwardShape"/>, captured on first use and
/// replayed after. Prefixes are padded up to a multiple of <see cref="PrefixBucket"/> (the padding is masked), so one
/// graph serves a request for several blocks. Graphs of the same batch size and token count share one logits buffer;
/// the least recently used graph is freed beyond <see cref="Capacity"/>, with its buffer when no other graph uses it.
/// </summary>
internal sealed class ForwardGraphs(LLaDA2Model model, int capacity) : IDisposable
{
    /// <summary>Graphs kept by default.</summary>
    public const int DefaultCapacity = 32;

    /// <summary>Prefix lengths are rounded up to a multiple of this.</summary>
    public const int PrefixBucket = 256;

    private readonly Dictionary<ForwardShape, CapturedForward> _graphs = [];
    private readonly Dictionary<(int Batch, int Tokens), Tensor> _logits = [];
    private long _clock;

    public int Capacity { get; } = Math.Max(1, capacity);

    /// <summary>Graphs captured so far (including freed ones).</summary>
    public int Captured { get; private set; }

    /// <summary>Graphs freed to stay within <see cref="Capacity"/> (a shape used again after that is captured again).</summary>
    public int Evicted { get; private set; }

    /// <summary>Time spent capturing them (warm-up and capture; the forward of the shape's first call included).</summary>
    public TimeSpan CaptureTime { get; private set; }

    /// <summary>Whether forwards on <paramref name="path"/> can be captured (the capacity-padded grouped path needs a
    /// host sync per layer, so it runs eagerly).</summary>
    public static bool CanCapture(MoePath path) => path is MoePath.AllExperts or MoePath.GroupedGemm;

    /// <summary>The prefix length a graph for <paramref name="longestPrefix"/> is captured with.</summary>
    public static int PaddedPrefix(int longestPrefix) => (longestPrefix + PrefixBucket - 1) / PrefixBucket * PrefixBucket;

    /// <summary>Runs the forward from its graph (capturing it first when new). Returns fp32 logits [B, n, V], a view
    /// of a buffer that the next forward of the same batch size and token count overwrites.</summary>
    public Tensor Run(IReadOnlyList<ForwardRequest> requests, KvCache cache, int blockSize, bool writeCache, MoePath path)
    {
        int batch = requests.Count, tokens = requests[0].TokenIds.Length, prefix = PaddedPrefix(requests.Max(r => r.Start));
        var shape = new ForwardShape(batch, tokens, prefix, writeCache, path, cache.Id);
        if (!_graphs.TryGetValue(shape, out var graph))
        {
            EvictIfFull();
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            graph = CapturedForward.Capture(model, requests, blockSize, prefix, cache, writeCache, path, LogitsBuffer(batch, tokens));
            CaptureTime += System.Diagnostics.Stopwatch.GetElapsedTime(started);
            _graphs.Add(shape, graph);
            Captured++;
        }
        graph.LastUsed = ++_clock;
        graph.Replay(requests, blockSize, cache.PageSize);
        return LogitsBuffer(batch, tokens).alias();
    }

    private Tensor LogitsBuffer(int batch, int tokens)
    {
        if (!_logits.TryGetValue((batch, tokens), out var buffer))
        {
            buffer = empty([batch, tokens, model.Config.VocabSize], ScalarType.Float32, model.Device).DetachFromDisposeScope();
            _logits.Add((batch, tokens), buffer);
        }
        return buffer;
    }

    private void EvictIfFull()
    {
        while (_graphs.Count >= Capacity)
        {
            var oldest = _graphs.MinBy(pair => pair.Value.LastUsed);
            oldest.Value.Dispose();
            _graphs.Remove(oldest.Key);
            Evicted++;
            // A logits buffer lives as long as some graph of its batch size and token count.
            var size = (oldest.Key.BatchSize, oldest.Key.NewTokens);
            if (!_graphs.Keys.Any(k => (k.BatchSize, k.NewTokens) == size) && _logits.Remove(size, out var buffer))
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
