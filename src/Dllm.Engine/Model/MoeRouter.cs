using Dllm.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Model;

/// <summary>
/// LLaDA2 expert routing, in fp32: <c>s = sigmoid(h·Wgᵀ)</c>; selection score <c>s + expert_bias</c>;
/// group-limited top-k (group score = sum of the group's top-2 selection scores, the best
/// <c>topk_group</c> groups kept, the rest masked to −∞); weights = the unbiased <c>s</c> of the chosen
/// experts, renormalised to sum 1 (+1e-20) and scaled by <c>routed_scaling_factor</c>.
/// </summary>
internal sealed class MoeRouter : IDisposable
{
    private readonly Tensor _gate;  // [E, H] fp32
    private Tensor? _gateBf16;      // [E, H] bf16, the gate's exact bf16 values (a bf16 CUDA model whose gate has them, with
                                    // a library that projects on tensor cores)
    private readonly Tensor _bias;  // [E] fp32
    private readonly LLaDA2Config _config;
    private readonly int _layer;

    public MoeRouter(LLaDA2Config config, int layer, WeightLoader weights)
    {
        _config = config;
        _layer = layer;
        _gate = weights.Read(LLaDA2TensorNames.RouterGate(layer), ScalarType.Float32, config.NumExperts, config.HiddenSize);
        _bias = weights.Read(LLaDA2TensorNames.ExpertBias(layer), ScalarType.Float32, config.NumExperts);
        if (weights.DType == ScalarType.BFloat16 && CudaNative.Serves(weights.Device) && CudaNative.ProjectsToFloat)
            _gateBf16 = ExactBf16(_gate);
    }

    /// <summary>The gate as bf16 when that holds its values exactly (a bf16 checkpoint's gate always does: the load only
    /// widened it), else null.</summary>
    private static Tensor? ExactBf16(Tensor gate)
    {
        var narrowed = gate.to(ScalarType.BFloat16);
        using var widened = narrowed.to(ScalarType.Float32);
        if (widened.eq(gate).all().item<bool>())
            return narrowed;
        narrowed.Dispose();
        return null;
    }

    /// <summary>Whether bf16 hidden states on CUDA take the native gate projection as well
    /// (<see cref="CudaNative.MoeRouteHidden"/>: fp32 products summed in another order than cuBLAS's, so a near tie
    /// between two experts' scores may resolve the other way) instead of a cast and cuBLAS's fp32 GEMM (default true;
    /// the bench's <c>--router-logits-kernel false</c> measures the latter). fp32 models always take cuBLAS's GEMM.</summary>
    public static bool LogitsKernelEnabled { get; set; } = true;

    /// <summary>Whether bf16 hidden states on CUDA take the gate projection on tensor cores (<see cref="CudaNative.ProjectToFloat"/>:
    /// cuBLAS's bf16 GEMM with fp32 accumulation and output, exact products of the bf16 values summed in cuBLAS's order;
    /// a near tie between two experts may resolve the other way, as between any two fp32 GEMMs) when the gate's values
    /// are bf16 (a checkpoint's are) and the libtorch has <c>aten::mm.dtype</c>; before it, the native fp32 kernel up to
    /// <see cref="LogitsKernelMaxTokens"/> and cuBLAS's fp32 GEMM above (default true; the bench's
    /// <c>--router-tensor-cores false</c> measures those).</summary>
    public static bool TensorCoreProjectionEnabled { get; set; } = true;

    /// <summary>The most tokens a call takes the native gate projection for: on an H200 it is 0.23 / 0.10 ms a step faster
    /// than cuBLAS's at 32 / 128 tokens (batch 1 / 4) and 0.13 ms slower at 512 (batch 16: there cuBLAS's tiled fp32
    /// GEMM, its cast included, keeps the SMs busier than the kernel's 4 x 4 outputs a thread).</summary>
    public const int LogitsKernelMaxTokens = 128;

    /// <summary>Whether the native router kernel fits this config: groups of 32 experts, 1, 2, 4, 8 or 16 groups (a warp's
    /// lanes hold whole groups), k ≤ 32.</summary>
    private bool NativeFits => _config.NumExperts == 32 * _config.NumExpertGroups && _config.NumExpertGroups is 1 or 2 or 4 or 8 or 16
        && _config.NumExpertsPerToken <= 32;

    /// <summary>x: [T, H]. Returns the chosen experts [T, k] (int64) and their weights [T, k] (fp32). On CUDA with
    /// libdllm_cuda.so the steps after the gate projection run as one kernel, and for bf16 x the projection too
    /// (<see cref="LogitsKernelEnabled"/>), unless <paramref name="allowNative"/> is false.</summary>
    public (Tensor Experts, Tensor Weights) Route(Tensor x, bool allowNative = true)
    {
        using var scope = NewDisposeScope();
        long tokens = x.shape[0];
        int experts = _config.NumExperts, groups = _config.NumExpertGroups;
        bool native = allowNative && NativeFits && CudaNative.Serves(x.device);
        bool tensorCores = native && TensorCoreProjectionEnabled && _gateBf16 is not null && x.dtype == ScalarType.BFloat16;
        if (!tensorCores && native && LogitsKernelEnabled && tokens <= LogitsKernelMaxTokens && x.dtype == ScalarType.BFloat16 && experts % 64 == 0 && x.is_contiguous())
        {
            var (chosenHidden, weightsHidden) = CudaNative.MoeRouteHidden(x, _gate, _bias, groups, _config.TopKGroups, _config.NumExpertsPerToken, _config.NormTopKProb, _config.RoutedScalingFactor);
            return (chosenHidden.MoveToOuterDisposeScope(), weightsHidden.MoveToOuterDisposeScope());
        }
        var logits = tensorCores ? CudaNative.ProjectToFloat(x, _gateBf16!) : nn.functional.linear(x.to(ScalarType.Float32), _gate);
        if (native)
        {
            var (chosenNative, weightsNative) = CudaNative.MoeRoute(logits, _bias, groups, _config.TopKGroups, _config.NumExpertsPerToken, _config.NormTopKProb, _config.RoutedScalingFactor);
            return (chosenNative.MoveToOuterDisposeScope(), weightsNative.MoveToOuterDisposeScope());
        }
        var scores = logits.sigmoid_();
        var selection = scores.add(_bias);
        if (groups > 1)
        {
            // Groups whose top-2 sum is below the topk_group-th best are masked out (equal sums are kept together).
            var groupScores = selection.view(tokens, groups, experts / groups).topk(2, dim: -1).values.sum(-1);
            var kth = groupScores.topk(_config.TopKGroups, dim: -1).values.narrow(1, _config.TopKGroups - 1, 1);
            var dropped = groupScores.lt(kth).unsqueeze(-1);
            selection = selection.view(tokens, groups, experts / groups).masked_fill(dropped, double.NegativeInfinity).view(tokens, experts);
        }
        var chosen = selection.topk(_config.NumExpertsPerToken, dim: -1).indexes;
        var weights = scores.gather(1, chosen);
        if (_config.NormTopKProb)
            weights = weights.div(weights.sum(-1, keepdim: true).add_(1e-20));
        weights = weights.mul_(_config.RoutedScalingFactor);
        return (chosen.MoveToOuterDisposeScope(), weights.MoveToOuterDisposeScope());
    }

    /// <summary>The selection bias [E] fp32 (training may adjust it for load balance, outside autograd).</summary>
    public Tensor Bias => _bias;

    /// <summary>Gate and bias under their checkpoint names.</summary>
    public IEnumerable<(string Name, Tensor Weight)> Export() =>
        [(LLaDA2TensorNames.RouterGate(_layer), _gate), (LLaDA2TensorNames.ExpertBias(_layer), _bias)];

    /// <summary>The gate (the bias only steers selection and gets no gradient). Its bf16 twin is dropped: the caller may
    /// change the gate.</summary>
    public IEnumerable<Tensor> Trainable()
    {
        _gateBf16?.Dispose();
        _gateBf16 = null;
        return [_gate];
    }

    public void Dispose()
    {
        _gateBf16?.Dispose();
        _gate.Dispose();
        _bias.Dispose();
    }
}
