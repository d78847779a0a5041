using Dllm.Model;
using Dllm.Native;
using static TorchSharp.torch;

namespace Dllm.Runner;

/// <summary>One forward of one <see cref="ForwardShape"/>, captured in a CUDA graph: a static geometry the graph
/// reads its inputs from, and the logits buffer it writes. Replaying it costs one launch instead of ~1,700.</summary>
internal sealed class CapturedForward : IDisposable
{
    private readonly BatchGeometry _geometry;
    private readonly CudaGraph _graph;

    private CapturedForward(BatchGeometry geometry, CudaGraph graph, Tensor logits)
    {
        _geometry = geometry;
        _graph = graph;
        Logits = logits;
    }

    /// <summary>Captures <paramref name="model"/>'s forward over the shape of <paramref name="requests"/> with the prefix
    /// padded to <paramref name="prefixLength"/> (running it once eagerly as warm-up); the graph writes its logits into
    /// <paramref name="logits"/>, which it owns from then on (a view of a buffer other graphs share).</summary>
    public static CapturedForward Capture(LLaDA2Model model, IReadOnlyList<ForwardRequest> requests, int blockSize, int prefixLength,
        KvCache cache, bool writeCache, MoePath path, Tensor logits, int logitsFrom)
    {
        var geometry = BatchGeometry.ForReloading(requests, blockSize, cache.PageSize, prefixLength, model.Device);
        try
        {
            var graph = CudaGraph.Capture(() => model.Forward(geometry, cache, writeCache, computeLogits: true, path, logits, logitsFrom));
            return new CapturedForward(geometry, graph, logits);
        }
        catch
        {
            geometry.Dispose();
            throw;
        }
    }

    /// <summary>Copies the requests (of the captured shape) into the graph's inputs: only their token ids while their
    /// page tables and starts stay those of the previous load (<see cref="BatchGeometry.Reload"/>).</summary>
    public void Load(IReadOnlyList<ForwardRequest> requests, int blockSize, int pageSize) => _geometry.Reload(requests, blockSize, pageSize);

    /// <summary>Replays the graph over the inputs last loaded.</summary>
    public void Replay() => _graph.Replay();

    /// <summary>Where each replay writes its logits [B, n - logitsFrom, V], in the model's dtype.</summary>
    public Tensor Logits { get; }

    /// <summary>When it was last replayed (for least-recently-used eviction).</summary>
    public long LastUsed { get; set; }

    public void Dispose()
    {
        _graph.Dispose();
        _geometry.Dispose();
        Logits.Dispose();
    }
}
