using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Model;

/// <summary>
/// Preallocated key/value cache: per layer one K and one V tensor of <c>[slots × maxLength, kvHeads, headDim]</c>.
/// A running request owns one slot; the row of position p in slot s is <c>s × maxLength + p</c>, so a whole
/// batch reads or writes its rows with one <c>index_select</c> / <c>index_copy_</c> per layer.
/// </summary>
public sealed class KvCache : IDisposable
{
    private static long _nextId;
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;

    /// <summary>Allocates the cache on <paramref name="device"/>.</summary>
    public KvCache(LLaDA2Config config, int slots, int maxLength, ScalarType dtype, Device device)
        : this(config, slots, maxLength, dtype, ModelPlacement.Single(config, device))
    {
    }

    /// <summary>Allocates each layer's part of the cache on that layer's device.</summary>
    public KvCache(LLaDA2Config config, int slots, int maxLength, ScalarType dtype, ModelPlacement placement)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        Slots = slots;
        MaxLength = maxLength;
        _keys = new Tensor[config.NumHiddenLayers];
        _values = new Tensor[config.NumHiddenLayers];
        long[] shape = [(long)slots * maxLength, config.NumKeyValueHeads, config.HeadDim];
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

    /// <summary>Number of request slots.</summary>
    public int Slots { get; }

    /// <summary>Longest sequence a slot holds.</summary>
    public int MaxLength { get; }

    /// <summary>Device memory held by the cache.</summary>
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
