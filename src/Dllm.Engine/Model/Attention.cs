using Dllm.Native;
using Dllm.Runner;
using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Model;

/// <summary>
/// LLaDA2 attention: fused QKV projection, per-head RMSNorm of Q and K (qk-norm) before partial RoPE,
/// grouped-query attention over the cached prefix plus the new tokens (block-causal mask), output projection.
/// GQA without copying K/V: the query heads sharing a KV head are folded into the sequence dimension. On CUDA with
/// <see cref="PagedAttention"/> on, one native kernel reads the cached prefix in place instead of the gather + SDPA.
/// </summary>
internal sealed class Attention : IDisposable
{
    private readonly Tensor _qkv;     // [(nq + 2 nkv) hd, H]
    private readonly Tensor _dense;   // [H, nq hd]
    private readonly RmsNorm? _qkNorm; // query and key norms in one: weight [nq + nkv, hd]
    private readonly int _heads, _kvHeads, _headDim, _layer;

    public Attention(LLaDA2Config config, int layer, WeightLoader weights)
    {
        _layer = layer;
        _heads = config.NumAttentionHeads;
        _kvHeads = config.NumKeyValueHeads;
        _headDim = config.HeadDim;
        _qkv = weights.Read(LLaDA2TensorNames.QueryKeyValue(layer), (_heads + 2 * _kvHeads) * _headDim, config.HiddenSize);
        _dense = weights.Read(LLaDA2TensorNames.AttentionDense(layer), config.HiddenSize, _heads * _headDim);
        if (config.UseQkNorm)
        {
            using var queryNorm = weights.Read(LLaDA2TensorNames.QueryLayerNorm(layer), _headDim);
            using var keyNorm = weights.Read(LLaDA2TensorNames.KeyLayerNorm(layer), _headDim);
            _qkNorm = new RmsNorm(cat([queryNorm.expand(_heads, _headDim), keyNorm.expand(_kvHeads, _headDim)], 0), config.RmsNormEps);
        }
    }

    /// <summary>x: [B·n, H] (normed hidden states of the new tokens). Returns [B·n, H].</summary>
    public Tensor Forward(Tensor x, BatchGeometry batch, RotaryEmbedding rope, Tensor cos, Tensor sin, KvCache? cache, bool writeCache)
    {
        using var scope = NewDisposeScope();
        long b = batch.BatchSize, n = batch.NewTokens, groups = _heads / _kvHeads;
        var qkv = nn.functional.linear(x, _qkv);
        if (writeCache)
            ArgumentNullException.ThrowIfNull(cache);
        // The new tokens' cache rows lie past every prefix row read below (each request's positions from its Start on).
        bool fused = QkRopeStore.Applies(qkv, _headDim);
        // One kernel normalises and rotates Q and K, stores K and V, and lays Q, K and V out contiguous; the op path
        // normalises and rotates the adjacent Q and K heads together (half the ops of doing each).
        var (q, k, v) = fused
            ? CudaNative.QkRopeStore(qkv, _qkNorm?.Weight, _qkNorm?.Eps ?? 0, cos, sin, rope.RotaryDim, _heads, _kvHeads,
                writeCache ? batch.WriteRows : null, writeCache ? cache!.Keys(_layer) : null, writeCache ? cache!.Values(_layer) : null)
            : Split(NormedRotated(qkv, b * n, rope, cos, sin), qkv);

        Tensor keys = k.view(b, n, _kvHeads, _headDim), values = v.view(b, n, _kvHeads, _headDim);
        if (writeCache && !fused)
        {
            cache!.Keys(_layer).index_copy_(0, batch.WriteRows, k.contiguous());
            cache.Values(_layer).index_copy_(0, batch.WriteRows, v.contiguous());
        }
        Tensor merged;
        if (batch.AttendsInPlace)
        {
            // The paged-attention kernel reads the prefix from the cache in place (PagedAttention.Applies).
            ArgumentNullException.ThrowIfNull(cache);
            merged = CudaNative.PagedAttention(q.view(b, n, _heads, _headDim), keys, values, cache.Keys(_layer), cache.Values(_layer),
                batch.ReadRows!, batch.PrefixLengths!, batch.NewKeyMask!).view(b * n, _heads * _headDim);
        }
        else
        {
            if (batch.ReadRows is not null)
            {
                ArgumentNullException.ThrowIfNull(cache);
                (keys, values) = WithCachedPrefix(cache, _layer, batch, keys, values);
            }
            // [B, nkv, L, hd] keys/values; queries [B, nkv, groups·n, hd] (head h = kv·groups + g).
            keys = keys.permute(0, 2, 1, 3);
            values = values.permute(0, 2, 1, 3);
            var queries = q.reshape(b, n, _kvHeads, groups, _headDim).permute(0, 2, 3, 1, 4).reshape(b, _kvHeads, groups * n, _headDim);
            var attended = nn.functional.scaled_dot_product_attention(queries, keys, values, attn_mask: batch.FoldedMask);
            merged = attended.view(b, _kvHeads, groups, n, _headDim).permute(0, 3, 1, 2, 4).reshape(b * n, _heads * _headDim);
        }
        return nn.functional.linear(merged, _dense).MoveToOuterDisposeScope();
    }

    /// <summary>The op path's Q, K (views of <paramref name="qk"/>) and V (a view of <paramref name="qkv"/>) heads.</summary>
    private (Tensor Queries, Tensor Keys, Tensor Values) Split(Tensor qk, Tensor qkv) =>
        (qk.narrow(1, 0, _heads), qk.narrow(1, _heads, _kvHeads),
            qkv.narrow(1, (_heads + _kvHeads) * _headDim, _kvHeads * _headDim).view(qkv.shape[0], _kvHeads, _headDim));

    /// <summary>The op path's normed (qk-norm) and rotated Q and K heads of <paramref name="qkv"/>: [T, nq + nkv, hd].</summary>
    private Tensor NormedRotated(Tensor qkv, long tokens, RotaryEmbedding rope, Tensor cos, Tensor sin)
    {
        var qk = qkv.narrow(1, 0, (_heads + _kvHeads) * _headDim).view(tokens, _heads + _kvHeads, _headDim);
        if (_qkNorm is not null)
            qk = _qkNorm.Forward(qk);
        return rope.Apply(qk, cos, sin);
    }

    /// <summary>The gather path's keys and values: each request's cached prefix rows of <paramref name="layer"/>
    /// (<see cref="BatchGeometry.ReadRows"/>, padded to the batch's prefix length) copied out of the cache and put in
    /// front of the new tokens' <paramref name="keys"/> and <paramref name="values"/> ([B, n, KV, D]). Returns
    /// [B, P + n, KV, D] each.</summary>
    internal static (Tensor Keys, Tensor Values) WithCachedPrefix(KvCache cache, int layer, BatchGeometry batch, Tensor keys, Tensor values)
    {
        long[] shape = [batch.BatchSize, batch.PrefixLength, keys.shape[2], keys.shape[3]];
        var cachedK = cache.Keys(layer).index_select(0, batch.ReadRows!).view(shape);
        var cachedV = cache.Values(layer).index_select(0, batch.ReadRows!).view(shape);
        return (cat([cachedK, keys], 1), cat([cachedV, values], 1));
    }

    /// <summary>The weights under their checkpoint names: the qk-norm rows of the first Q and K head stand for all
    /// (they are loaded expanded from one [hd] vector each and training leaves them as loaded).</summary>
    public IEnumerable<(string Name, Tensor Weight)> Export()
    {
        yield return (LLaDA2TensorNames.QueryKeyValue(_layer), _qkv);
        if (_qkNorm is not null)
        {
            yield return (LLaDA2TensorNames.QueryLayerNorm(_layer), _qkNorm.Weight[0]);
            yield return (LLaDA2TensorNames.KeyLayerNorm(_layer), _qkNorm.Weight[_heads]);
        }
        yield return (LLaDA2TensorNames.AttentionDense(_layer), _dense);
    }

    /// <summary>The projections (the qk-norm weights are per head copies of one vector and stay fixed).</summary>
    public IEnumerable<Tensor> Trainable() => [_qkv, _dense];

    public void Dispose()
    {
        _qkv.Dispose();
        _dense.Dispose();
        _qkNorm?.Dispose();
    }
}
