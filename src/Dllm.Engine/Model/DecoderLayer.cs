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

    public Tensor Forward(Tensor x, BatchGeometry batch, RotaryEmbedding rope, Tensor cos, Tensor sin, KvCache cache, bool writeCache, MoePath moePath)
    {
        using var scope = NewDisposeScope();
        var h = x.add(_attention.Forward(_inputNorm.Forward(x), batch, rope, cos, sin, cache, writeCache));
        var normed = _postAttentionNorm.Forward(h);
        var mlp = _moe is not null ? _moe.Forward(normed, moePath) : _dense!.Forward(normed);
        return h.add_(mlp).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        _inputNorm.Dispose();
        _postAttentionNorm.Dispose();
        _attention.Dispose();
        _dense?.Dispose();
        _moe?.Dispose();
    }
}
