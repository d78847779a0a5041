using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Training.Optimization;

/// <summary>
/// AdamW (decoupled weight decay, bias-corrected moments) over plain tensors, with clipping of the global gradient
/// norm. Weight decay applies to matrices only (norm weights, 1-D, are not decayed).
/// </summary>
public sealed class AdamW(IReadOnlyList<Tensor> parameters, double beta1 = 0.9, double beta2 = 0.95, double epsilon = 1e-8, double weightDecay = 0.1) : IDisposable
{
    private readonly Tensor[] _first = [.. parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
    private readonly Tensor[] _second = [.. parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
    private int _step;

    /// <summary>Scales the gradients so that their global L2 norm is at most <paramref name="maxNorm"/>; returns the norm before.</summary>
    public double ClipGradients(double maxNorm)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var grads = parameters.Select(p => p.grad).OfType<Tensor>().ToList();
        if (grads.Count == 0)
            return 0;
        double norm = stack(grads.Select(g => g.norm()).ToArray()).norm().item<float>();
        if (norm > maxNorm)
        {
            foreach (var g in grads)
                g.mul_(maxNorm / (norm + 1e-6));
        }
        return norm;
    }

    /// <summary>One update at learning rate <paramref name="learningRate"/>; then clears the gradients.</summary>
    public void Step(double learningRate)
    {
        _step++;
        double correction1 = 1 - Math.Pow(beta1, _step), correction2 = 1 - Math.Pow(beta2, _step);
        using var noGrad = no_grad();
        for (int i = 0; i < parameters.Count; i++)
        {
            using var scope = NewDisposeScope();
            var p = parameters[i];
            var g = p.grad;
            if (g is null)
                continue;
            _first[i].mul_(beta1).add_(g, alpha: 1 - beta1);
            _second[i].mul_(beta2).addcmul_(g, g, value: 1 - beta2);
            if (weightDecay > 0 && p.dim() > 1)
                p.mul_(1 - learningRate * weightDecay);
            var denominator = _second[i].div(correction2).sqrt_().add_(epsilon);
            p.addcdiv_(_first[i], denominator, value: -learningRate / correction1);
            g.zero_();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in _first.Concat(_second))
            t.Dispose();
    }
}
