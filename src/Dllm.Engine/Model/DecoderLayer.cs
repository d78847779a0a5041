using Dllm.Runner;
using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Model;

/// <summary>One pre-norm transformer layer: <c>h = x + attn(rms(x))</c>, <c>out = h + mlp(rms(h))</c>;
/// the MLP is dense below <c>first_k_dense_replace</c>, MoE above. Each residual add is fused into the norm after it
/// (<see cref="RmsNorm.AddForward"/>): a layer returns <c>out</c> as its two terms, which the next layer's input norm
/// (or the model's final norm) adds.</summary>
internal sealed class DecoderLayer : IDisposable
{
    private readonly RmsNorm _inputNorm;
    private readonly RmsNorm _postAttentionNorm;
    private readonly Attention _attention;
    private readonly SwiGluMlp? _dense;
    private readonly MoeMlp? _moe;

    public DecoderLayer(LLaDA2Config config, int layer, WeightLoader weights)
    {
        _inputNorm = new RmsNorm(weights.Read(LLaDA2TensorNames.InputLayerNorm(layer), config.HiddenSize), config.RmsNormEps);
        _attention = new Attention(config, layer, weights);
        _postAttentionNorm = new RmsNorm(weights.Read(LLaDA2TensorNames.PostAttentionLayerNorm(layer), config.HiddenSize), config.RmsNormEps);
        if (config.IsMoeLayer(layer))
            _moe = new MoeMlp(config, layer, weights);
        else
            _dense = new SwiGluMlp(projection => LLaDA2TensorNames.DenseMlp(layer, projection), config.HiddenSize, config.IntermediateSize, weights);
    }

    /// <summary>The layer over <c>x + delta</c> (<paramref name="delta"/> null: over <paramref name="x"/>, the
    /// embeddings), as the two terms of its output: <c>out = Residual + Delta</c>.</summary>
    public (Tensor Residual, Tensor Delta) Forward(Tensor x, Tensor? delta, BatchGeometry batch, RotaryEmbedding rope, Tensor cos, Tensor sin,
        KvCache? cache, bool writeCache, MoePath moePath)
    {
        using var scope = NewDisposeScope();
        var (input, normed) = delta is null ? (x, _inputNorm.Forward(x)) : _inputNorm.AddForward(x, delta);
        var (h, postNormed) = _postAttentionNorm.AddForward(input, _attention.Forward(normed, batch, rope, cos, sin, cache, writeCache));
        var mlp = _moe is not null ? _moe.Forward(postNormed, moePath) : _dense!.Forward(postNormed);
        return (h.MoveToOuterDisposeScope(), mlp.MoveToOuterDisposeScope());
    }

    /// <summary>The layer's output as one tensor (<c>Residual + Delta</c> of <see cref="Forward"/>).</summary>
    public Tensor ForwardSummed(Tensor x, BatchGeometry batch, RotaryEmbedding rope, Tensor cos, Tensor sin, KvCache? cache, bool writeCache,
        MoePath moePath)
    {
        var (residual, delta) = Forward(x, null, batch, rope, cos, sin, cache, writeCache, moePath);
        using (delta)
            return Sum(residual, delta);
    }

    /// <summary>A layer's two terms added: in place, unless autograd saved the residual (the norm of it did) for its
    /// backward.</summary>
    public static Tensor Sum(Tensor residual, Tensor delta) => is_grad_enabled() ? residual.add(delta) : residual.add_(delta);

    /// <summary>The layer's weights under their checkpoint names (views of the run tensors).</summary>
    public IEnumerable<(string Name, Tensor Weight)> Export(int layer)
    {
        yield return (LLaDA2TensorNames.InputLayerNorm(layer), _inputNorm.Weight);
        yield return (LLaDA2TensorNames.PostAttentionLayerNorm(layer), _postAttentionNorm.Weight);
        foreach (var weight in _attention.Export())
            yield return weight;
        foreach (var weight in _moe is not null ? _moe.Export() : _dense!.Export())
            yield return weight;
    }

    /// <summary>The tensors a training run updates (see <see cref="LLaDA2Model.TrainableTensors"/>).</summary>
    public IEnumerable<Tensor> Trainable() =>
        new[] { _inputNorm.Weight, _postAttentionNorm.Weight }
            .Concat(_attention.Trainable())
            .Concat(_moe is not null ? _moe.Trainable() : _dense!.Trainable());

    /// <summary>The router selection bias of a MoE layer; null for a dense one.</summary>
    public Tensor? RouterBias => _moe?.RouterBias;

    public void Dispose()
    {
        _inputNorm.Dispose();
        _postAttentionNorm.Dispose();
        _attention.Dispose();
        _dense?.Dispose();
        _moe?.Dispose();
    }
}
