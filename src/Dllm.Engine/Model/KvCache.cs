using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Model;

/// <summary>
/// Preallocated, paged key/value cache: per layer one K and one V tensor of <c>[pages × pageSize, kvHeads, headDim]</c>.
/// A sequence holds a page table (page ids for its positions 0, <c>pageSize</c>, 2 <c>pageSize</c>, ...); the row of its
/// position p is <c>table[p / pageSize] × pageSize + p % pageSize</c>, so a whole batch reads or writes its rows with one
/// <c>index_select</c> / <c>index_copy_</c> per layer, wherever its pages lie. Past its <see cref="Pages"/> it has
/// <see cref="ScratchPages"/> more that no sequence is given: a CUDA graph's padding rows write their K/V there.
/// </summary>
public sealed class KvCache : IDisposable
{
    private static long _nextId;
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;

    /// <summary>Scratch pages a cache has by default: a padding row of a forward of two blocks' tokens (a fused step)
    /// writes two pages.</summary>
    public const int DefaultScratchPages = 2;

    /// <summary>Allocates the cache on <paramref name="device"/>.</summary>
    public KvCache(LLaDA2Config config, int pages, int pageSize, ScalarType dtype, Device device, int scratchPages = DefaultScratchPages)
        : this(config, pages, pageSize, dtype, ModelPlacement.Single(config, device), scratchPages)
    {
    }

    /// <summary>Allocates each layer's part of the cache on that layer's device.</summary>
    public KvCache(LLaDA2Config config, int pages, int pageSize, ScalarType dtype, ModelPlacement placement, int scratchPages = DefaultScratchPages)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pages, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(scratchPages);
        Pages = pages;
        PageSize = pageSize;
        ScratchPages = scratchPages;
        _keys = new Tensor[config.NumHiddenLayers];
        _values = new Tensor[config.NumHiddenLayers];
        long[] shape = [(long)(pages + scratchPages) * pageSize, config.NumKeyValueHeads, config.HeadDim];
        for (int layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            var device = placement.StageOf(layer).Device;
            _keys[layer] = zeros(shape, dtype: dtype, device: device);
            _values[layer] = zeros(shape, dtype: dtype, device: device);
        }
        BytesAllocated = 2L * config.NumHiddenLayers * shape[0] * shape[1] * shape[2] * _keys[0].ElementSize;
    }

    /// <summary>Identifies this cache among the caches of the process (a captured forward reads one cache).</summary>
    internal long Id { get; } = Interlocked.Increment(ref _nextId);

    /// <summary>Number of pages sequences are given (0 .. Pages - 1).</summary>
    public int Pages { get; }

    /// <summary>Pages after those (<see cref="Pages"/> .. <see cref="Pages"/> + ScratchPages - 1) that no sequence is
    /// given: what a forward's padding rows write goes there, and nothing reads it but them.</summary>
    public int ScratchPages { get; }

    /// <summary>Positions per page.</summary>
    public int PageSize { get; }

    /// <summary>Device memory held by the cache (its scratch pages included).</summary>
    public long BytesAllocated { get; }

    internal Tensor Keys(int layer) => _keys[layer];

    internal Tensor Values(int layer) => _values[layer];

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in _keys.Concat(_values))
            t.Dispose();
    }
}
