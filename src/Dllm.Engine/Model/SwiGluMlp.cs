using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Model;

/// <summary>SwiGLU MLP <c>down(silu(gate(x)) · up(x))</c> with gate and up fused into one projection at load.
/// Used for the dense layers and the shared expert.</summary>
internal sealed class SwiGluMlp : IDisposable
{
    private readonly Tensor _gateUp; // [2F, H]
    private readonly Tensor _down;   // [H, F]
    private readonly long _width;
    private readonly Func<string, string> _tensorName;

    public SwiGluMlp(Func<string, string> tensorName, int hidden, int width, WeightLoader weights)
    {
        _width = width;
        _tensorName = tensorName;
        using var gate = weights.Read(tensorName(LLaDA2TensorNames.GateProj), width, hidden);
        using var up = weights.Read(tensorName(LLaDA2TensorNames.UpProj), width, hidden);
        _gateUp = cat([gate, up], 0);
        _down = weights.Read(tensorName(LLaDA2TensorNames.DownProj), hidden, width);
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var gateUp = nn.functional.linear(x, _gateUp);
        return nn.functional.linear(Activate(gateUp, _width), _down).MoveToOuterDisposeScope();
    }

    /// <summary><c>silu(gate) · up</c> of a fused [.., 2F] gate-and-up projection (a new [.., F] tensor).</summary>
    public static Tensor Activate(Tensor gateUp, long width) =>
        nn.functional.silu(gateUp.narrow(-1, 0, width)).mul_(gateUp.narrow(-1, width, width));

    /// <summary>gate, up and down under their checkpoint names (views of the fused tensors).</summary>
    public IEnumerable<(string Name, Tensor Weight)> Export() =>
    [
        (_tensorName(LLaDA2TensorNames.GateProj), _gateUp.narrow(0, 0, _width)),
        (_tensorName(LLaDA2TensorNames.UpProj), _gateUp.narrow(0, _width, _width)),
        (_tensorName(LLaDA2TensorNames.DownProj), _down),
    ];

    /// <summary>The fused projections.</summary>
    public IEnumerable<Tensor> Trainable() => [_gateUp, _down];

    public void Dispose()
    {
        _gateUp.Dispose();
        _down.Dispose();
    }
}
