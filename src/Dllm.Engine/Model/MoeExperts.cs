using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Model;

/// <summary>A MoE layer's routed experts, stacked at load into <c>[E, 2F, H]</c> (gate and up rows) and
/// <c>[E, H, F]</c> (down), computed without a per-expert loop (see <see cref="MoePath"/>).</summary>
internal sealed class MoeExperts : IDisposable
{
    /// <summary>Token count above which <see cref="MoePath.Auto"/> switches to <see cref="MoePath.GroupedByExpert"/>.</summary>
    public const int GroupedPathMinTokens = 256;

    private readonly Tensor _gateUp; // [E, 2F, H]
    private readonly Tensor _down;   // [E, H, F]
    private readonly int _experts;
    private readonly long _width;

    public MoeExperts(LLaDA2Config config, string prefix, WeightLoader weights)
    {
        _experts = config.NumExperts;
        _width = config.MoeIntermediateSize;
        int hidden = config.HiddenSize;
        _gateUp = empty([_experts, 2 * _width, hidden], dtype: weights.DType, device: weights.Device);
        _down = empty([_experts, hidden, _width], dtype: weights.DType, device: weights.Device);
        using var noGrad = no_grad();
        for (int e = 0; e < _experts; e++)
        {
            string expert = $"{prefix}experts.{e}.";
            using (var gate = weights.Read(expert + "gate_proj.weight", _width, hidden))
                _gateUp[e].narrow(0, 0, _width).copy_(gate);
            using (var up = weights.Read(expert + "up_proj.weight", _width, hidden))
                _gateUp[e].narrow(0, _width, _width).copy_(up);
            using (var down = weights.Read(expert + "down_proj.weight", hidden, _width))
                _down[e].copy_(down);
        }
    }

    /// <summary>x: [T, H]; experts/weights: [T, k] from the router. Returns Σ wᵢ·expertᵢ(x), [T, H].</summary>
    public Tensor Forward(Tensor x, Tensor experts, Tensor weights, MoePath path)
    {
        if (path == MoePath.Auto)
            path = x.shape[0] > GroupedPathMinTokens ? MoePath.GroupedByExpert : MoePath.AllExperts;
        return path == MoePath.AllExperts ? AllExperts(x, experts, weights) : GroupedByExpert(x, experts, weights);
    }

    private Tensor Expert(Tensor input)
    {
        // input [E, C, H] -> [E, C, H]
        var gateUp = input.bmm(_gateUp.transpose(1, 2));
        var activated = nn.functional.silu(gateUp.narrow(-1, 0, _width)).mul_(gateUp.narrow(-1, _width, _width));
        return activated.bmm(_down.transpose(1, 2));
    }

    private Tensor AllExperts(Tensor x, Tensor experts, Tensor weights)
    {
        using var scope = NewDisposeScope();
        long tokens = x.shape[0], hidden = x.shape[1];
        var routing = zeros([tokens, _experts], dtype: ScalarType.Float32, device: x.device).scatter_(1, experts, weights).to(x.dtype);
        var outputs = Expert(x.unsqueeze(0).expand(_experts, tokens, hidden)); // [E, T, H]
        var combined = routing.unsqueeze(1).bmm(outputs.transpose(0, 1));      // [T, 1, H]
        return combined.view(tokens, hidden).MoveToOuterDisposeScope();
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
        var outputs = Expert(buffer.view(_experts, capacity, hidden)).view(_experts * capacity, hidden);
        var pairs = outputs.index_select(0, slots).mul_(sortedWeight.unsqueeze(1));
        return zeros([tokens, hidden], dtype: x.dtype, device: x.device).index_add_(0, sortedToken, pairs, 1).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        _gateUp.Dispose();
        _down.Dispose();
    }
}
