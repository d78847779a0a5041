using Dllm.Runner;
using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Model;

/// <summary>One pre-norm transformer layer: <c>h = x + attn(rms(x))</c>, <c>out = h + mlp(rms(h))</c>;
/// the MLP is dense below <c>first_k_dense_replace</c>, MoE above.</summary>
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

    public Tensor Forward(Tensor x, BatchGeometry batch, RotaryEmbedding rope, Tensor cos, Tensor sin, KvCache? cache, bool writeCache, MoePath moePath)
    {
        using var scope = NewDisposeScope();
        var h = x.add(_attention.Forward(_inputNorm.Forward(x), batch, rope, cos, sin, cache, writeCache));
        var normed = _postAttentionNorm.Forward(h);
        var mlp = _moe is not null ? _moe.Forward(normed, moePath) : _dense!.Forward(normed);
        // In place only without autograd: the post-attention norm saved h for its backward.
        return (is_grad_enabled() ? h.add(mlp) : h.add_(mlp)).MoveToOuterDisposeScope();
    }

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
