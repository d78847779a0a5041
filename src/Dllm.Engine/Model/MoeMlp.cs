using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Model;

/// <summary>A MoE MLP: router, routed experts and (when configured) the shared expert — stacked with the routed
/// experts when it has their width, else a separate SwiGLU.</summary>
internal sealed class MoeMlp : IDisposable
{
    private readonly MoeRouter _router;
    private readonly MoeExperts _experts;
    private readonly SwiGluMlp? _shared;

    public MoeMlp(LLaDA2Config config, int layer, WeightLoader weights)
    {
        _router = new MoeRouter(config, layer, weights);
        _experts = new MoeExperts(config, layer, weights);
        if (config.NumSharedExperts > 0 && !MoeExperts.CanStackSharedExpert(config))
            _shared = new SwiGluMlp(projection => LLaDA2TensorNames.SharedExpert(layer, projection), config.HiddenSize, config.MoeIntermediateSize * config.NumSharedExperts, weights);
    }

    public Tensor Forward(Tensor x, MoePath path)
    {
        using var scope = NewDisposeScope();
        var (experts, weights) = _router.Route(x);
        var routed = _experts.Forward(x, experts, weights, path);
        return (_shared is null ? routed : routed.add_(_shared.Forward(x))).MoveToOuterDisposeScope();
    }

    /// <summary>Router, experts and shared expert under their checkpoint names.</summary>
    public IEnumerable<(string Name, Tensor Weight)> Export() =>
        _router.Export().Concat(_experts.Export()).Concat(_shared?.Export() ?? []);

    /// <summary>The router gate and every expert (the selection bias is not a gradient parameter).</summary>
    public IEnumerable<Tensor> Trainable() =>
        _router.Trainable().Concat(_experts.Trainable()).Concat(_shared?.Trainable() ?? []);

    /// <summary>The router's selection bias.</summary>
    public Tensor RouterBias => _router.Bias;

    public void Dispose()
    {
        _router.Dispose();
        _experts.Dispose();
        _shared?.Dispose();
    }
}
