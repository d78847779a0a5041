using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Model;

/// <summary>A MoE layer's routed experts, stacked at load into <c>[E, 2F, H]</c> (gate and up rows) and
/// <c>[E, H, F]</c> (down), computed without a per-expert loop (see <see cref="MoePath"/>). A single shared
/// expert of the same width is stacked as expert E and always weighted 1, so it costs no ops of its own.</summary>
internal sealed class MoeExperts : IDisposable
{
    /// <summary>Token count above which <see cref="MoePath.Auto"/> switches to <see cref="MoePath.GroupedByExpert"/>.</summary>
    public const int GroupedPathMinTokens = 256;

    private readonly Tensor _gateUp; // [E, 2F, H]
    private readonly Tensor _down;   // [E, H, F]
    private readonly Tensor _routingBase; // [1, E(+1)] fp32: 0 for routed experts, 1 for a stacked shared expert
    private readonly Tensor? _sharedGateUp; // views of the stacked shared expert, [2F, H] and [H, F]
    private readonly Tensor? _sharedDown;
    private readonly Tensor _expertIds;      // [E] int64: 0..E-1
    private readonly int _experts;
    private readonly int _layer;
    private readonly long _width;

    /// <summary>True when the layer's one shared expert is stacked after the routed ones.</summary>
    public bool HasStackedSharedExpert { get; }

    /// <summary>Whether a config's shared expert can be stacked with the routed ones (one of the same width).</summary>
    public static bool CanStackSharedExpert(LLaDA2Config config) => config.NumSharedExperts == 1;

    public MoeExperts(LLaDA2Config config, int layer, WeightLoader weights)
    {
        _experts = config.NumExperts;
        _layer = layer;
        _width = config.MoeIntermediateSize;
        HasStackedSharedExpert = CanStackSharedExpert(config);
        int hidden = config.HiddenSize, stacked = _experts + (HasStackedSharedExpert ? 1 : 0);
        _gateUp = empty([stacked, 2 * _width, hidden], dtype: weights.DType, device: weights.Device);
        _down = empty([stacked, hidden, _width], dtype: weights.DType, device: weights.Device);
        _routingBase = zeros([1, stacked], ScalarType.Float32, weights.Device);
        if (HasStackedSharedExpert)
            _routingBase[0, _experts] = 1.0f;
        using var noGrad = no_grad();
        for (int e = 0; e < stacked; e++)
        {
            int index = e;
            string Name(string projection) => index < _experts ? LLaDA2TensorNames.Expert(layer, index, projection) : LLaDA2TensorNames.SharedExpert(layer, projection);
            // One expert at a time: the views and the read tensors are released before the next.
            using var scope = NewDisposeScope();
            _gateUp[e].narrow(0, 0, _width).copy_(weights.Read(Name(LLaDA2TensorNames.GateProj), _width, hidden));
            _gateUp[e].narrow(0, _width, _width).copy_(weights.Read(Name(LLaDA2TensorNames.UpProj), _width, hidden));
            _down[e].copy_(weights.Read(Name(LLaDA2TensorNames.DownProj), hidden, _width));
        }
        if (HasStackedSharedExpert)
        {
            _sharedGateUp = _gateUp[_experts];
            _sharedDown = _down[_experts];
        }
        _expertIds = arange(_experts, dtype: ScalarType.Int64, device: weights.Device);
    }

    /// <summary>x: [T, H]; experts/weights: [T, k] from the router; path: a resolved path (not <see cref="MoePath.Auto"/>:
    /// the model resolves it once per forward). Returns Σ wᵢ·expertᵢ(x), [T, H].</summary>
    public Tensor Forward(Tensor x, Tensor experts, Tensor weights, MoePath path) => path switch
    {
        MoePath.AllExperts => AllExperts(x, experts, weights),
        MoePath.GroupedByExpert => GroupedByExpert(x, experts, weights),
        MoePath.GroupedGemm => GroupedGemm(x, experts, weights),
        _ => throw new ArgumentException($"MoE path {path} must be resolved before the forward", nameof(path)),
    };

    private Tensor Expert(Tensor input, Tensor gateUpWeights, Tensor downWeights)
    {
        // input [E, C, H] -> [E, C, H]
        var gateUp = input.bmm(gateUpWeights.transpose(1, 2));
        var activated = SwiGluMlp.Activate(gateUp, _width);
        return activated.bmm(downWeights.transpose(1, 2));
    }

    private Tensor AllExperts(Tensor x, Tensor experts, Tensor weights)
    {
        using var scope = NewDisposeScope();
        long tokens = x.shape[0], hidden = x.shape[1], stacked = _gateUp.shape[0];
        // Routing weights of every stacked expert per token; the shared expert's column is 1.
        var routing = _routingBase.expand(tokens, stacked).clone().scatter_(1, experts, weights).to(x.dtype);
        var outputs = Expert(x.unsqueeze(0).expand(stacked, tokens, hidden), _gateUp, _down); // [E(+1), T, H]
        var combined = routing.unsqueeze(1).bmm(outputs.transpose(0, 1));                     // [T, 1, H]
        return combined.view(tokens, hidden).MoveToOuterDisposeScope();
    }



    private Tensor GroupedGemm(Tensor x, Tensor experts, Tensor weights)
    {
        using var scope = NewDisposeScope();
        // On CUDA the shared expert runs on a second stream, beside the routed experts (the same ops either way).
        Tensor? shared = null;
        (Tensor Outputs, Tensor RowOfPair) routed;
        if (!HasStackedSharedExpert)
            routed = RoutedPairs(x, experts);
        else if (SharedExpertOverlap.Applies(x.device))
            (shared, routed) = SharedExpertOverlap.Beside(x.device, () => SharedExpert(x), () => RoutedPairs(x, experts));
        else
            (shared, routed) = (SharedExpert(x), RoutedPairs(x, experts));
        return FusedExpertOps.Combine(routed.Outputs, routed.RowOfPair, weights, shared).MoveToOuterDisposeScope();
    }

    /// <summary>The routed experts' outputs of the grouped GEMM path, one row per (token, slot) pair in expert order
    /// ([T·k, H]), and each pair's row (p = token·k + j).</summary>
    private (Tensor Outputs, Tensor RowOfPair) RoutedPairs(Tensor x, Tensor experts)
    {
        // Pair p = token·k + j; sorted by expert, the pairs of expert e are rows ends[e-1]..ends[e].
        var layout = ExpertLayout.Of(experts, _expertIds);
        // The tokens' rows in expert order: gathered by the native kernels as they load them, else first.
        var gateUp = GroupedMatmul.Run(x, _gateUp, layout.Ends, layout.Passes, rowsOf: layout.TokenOfRow);  // [T·k, 2F]
        var activated = FusedExpertOps.Activate(gateUp, _width);
        return (GroupedMatmul.Run(activated, _down, layout.Ends, layout.Passes), layout.RowOfPair);
    }

    private Tensor GroupedByExpert(Tensor x, Tensor experts, Tensor weights)
    {
        using var scope = NewDisposeScope();
        long tokens = x.shape[0], hidden = x.shape[1], k = experts.shape[1];
        var flatExpert = experts.reshape(-1);
        var flatToken = arange(tokens, dtype: ScalarType.Int64, device: x.device).repeat_interleave(k);
        var order = flatExpert.sort(stable: true).Indices;
        var sortedExpert = flatExpert.index_select(0, order);
        var sortedToken = flatToken.index_select(0, order);
        var sortedWeight = weights.reshape(-1).index_select(0, order).to(x.dtype);
        var counts = zeros([_experts], ScalarType.Int64, x.device).scatter_add_(0, flatExpert, ones_like(flatExpert));
        long capacity = counts.max().item<long>();
        var offsets = counts.cumsum(0).sub_(counts);
        var rank = arange(tokens * k, dtype: ScalarType.Int64, device: x.device).sub_(offsets.index_select(0, sortedExpert));
        var slots = sortedExpert.mul(capacity).add_(rank);
        var buffer = zeros([_experts * capacity, hidden], dtype: x.dtype, device: x.device)
            .index_copy_(0, slots, x.index_select(0, sortedToken));
        var outputs = Expert(buffer.view(_experts, capacity, hidden), _gateUp.narrow(0, 0, _experts), _down.narrow(0, 0, _experts)).view(_experts * capacity, hidden);
        var pairs = outputs.index_select(0, slots).mul_(sortedWeight.unsqueeze(1));
        var result = zeros([tokens, hidden], dtype: x.dtype, device: x.device).index_add_(0, sortedToken, pairs, 1);
        AddSharedExpert(x, result);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>The grouped paths compute only routed pairs: the stacked shared expert (weight 1) is added on its own.</summary>
    private void AddSharedExpert(Tensor x, Tensor result)
    {
        if (!HasStackedSharedExpert)
            return;
        using var scope = NewDisposeScope();
        result.add_(SharedExpert(x));
    }

    /// <summary>The stacked shared expert's output for <paramref name="x"/> [T, H].</summary>
    private Tensor SharedExpert(Tensor x)
    {
        using var scope = NewDisposeScope();
        var gateUp = nn.functional.linear(x, _sharedGateUp!);
        var activated = FusedExpertOps.Activate(gateUp, _width);
        return nn.functional.linear(activated, _sharedDown!).MoveToOuterDisposeScope();
    }

    /// <summary>Every routed expert's (and a stacked shared expert's) gate, up and down under their checkpoint names.</summary>
    public IEnumerable<(string Name, Tensor Weight)> Export()
    {
        for (int e = 0; e < _gateUp.shape[0]; e++)
        {
            int index = e;
            string Name(string projection) => index < _experts ? LLaDA2TensorNames.Expert(_layer, index, projection) : LLaDA2TensorNames.SharedExpert(_layer, projection);
            yield return (Name(LLaDA2TensorNames.GateProj), _gateUp[e].narrow(0, 0, _width));
            yield return (Name(LLaDA2TensorNames.UpProj), _gateUp[e].narrow(0, _width, _width));
            yield return (Name(LLaDA2TensorNames.DownProj), _down[e]);
        }
    }

    /// <summary>The stacked experts (train through <see cref="MoePath.AllExperts"/>, which reads them directly).</summary>
    public IEnumerable<Tensor> Trainable() => [_gateUp, _down];

    public void Dispose()
    {
        _gateUp.Dispose();
        _down.Dispose();
        _routingBase.Dispose();
        _sharedGateUp?.Dispose();
        _sharedDown?.Dispose();
        _expertIds.Dispose();
    }
}
