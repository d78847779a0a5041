using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Model;

/// <summary>
/// Partial NeoX rotary embedding: the first <c>rotaryDim</c> dims of each head are rotated (rotate-half
/// pairs dim j with j + rotaryDim/2, <c>inv_freq_j = θ^(-2j/rotaryDim)</c>), the rest pass through.
/// cos/sin tables for every position are built once, in fp32.
/// </summary>
internal sealed class RotaryEmbedding : IDisposable
{
    private readonly Tensor _cos; // [maxPositions, rotaryDim]
    private readonly Tensor _sin; // sign-folded: [-sin, +sin] over the two halves, so rotate_half(x)·sin == roll(x)·_sin
    private readonly int _rotaryDim;

    public RotaryEmbedding(int rotaryDim, double theta, int maxPositions, Device device)
    {
        _rotaryDim = rotaryDim;
        using var scope = NewDisposeScope();
        var exponents = arange(0, rotaryDim, 2, dtype: ScalarType.Float64).div(rotaryDim);
        var invFreq = pow(theta, exponents).reciprocal();
        var freqs = arange(maxPositions, dtype: ScalarType.Float64).outer(invFreq);
        var angles = cat([freqs, freqs], 1);
        _cos = angles.cos().to(ScalarType.Float32).to(device).MoveToOuterDisposeScope();
        var sign = cat([full(rotaryDim / 2, -1.0, ScalarType.Float64), ones(rotaryDim / 2, ScalarType.Float64)]);
        _sin = angles.sin().mul(sign).to(ScalarType.Float32).to(device).MoveToOuterDisposeScope();
    }

    /// <summary>The rotated leading dimensions of each head.</summary>
    public int RotaryDim => _rotaryDim;

    /// <summary>cos/sin rows for <paramref name="positions"/> ([N] int64), shaped [N, 1, rotaryDim] to broadcast over heads.</summary>
    public (Tensor Cos, Tensor Sin) Lookup(Tensor positions) =>
        (_cos.index_select(0, positions).unsqueeze(1), _sin.index_select(0, positions).unsqueeze(1));

    /// <summary>Rotates <paramref name="x"/> ([N, heads, headDim]) with tables from <see cref="Lookup"/>.</summary>
    public Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        long headDim = x.shape[^1];
        var part = _rotaryDim < headDim ? x.narrow(-1, 0, _rotaryDim) : x;
        var rotated = part.dtype == ScalarType.Float32 ? part : part.to(ScalarType.Float32);
        // rotate_half(r) = [-r2, r1] = roll(r, half) · [-1, +1]; the sign lives in the sin table.
        var result = rotated.mul(cos).add_(rotated.roll(_rotaryDim / 2, -1).mul_(sin));
        if (result.dtype != x.dtype)
            result = result.to(x.dtype);
        if (_rotaryDim < headDim)
            result = cat([result, x.narrow(-1, _rotaryDim, headDim - _rotaryDim)], -1);
        return result.MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        _cos.Dispose();
        _sin.Dispose();
    }
}
