using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Decoding;

/// <summary>
/// Draws one token per position of one request's block from softmax(logits / T) filtered by top-k, top-p and
/// min-p, all on the logits' device with no loop over positions.
/// <list type="bullet">
/// <item>Filters, applied jointly to the tempered distribution sorted in descending order (as SGLang's torch
/// sampler does): top-k keeps the k most likely; top-p keeps the smallest prefix whose mass reaches top_p (a token is
/// dropped when the mass before it is ≥ top_p, so the top token always stays); min-p drops p &lt; min_p × p_max.</item>
/// <item>Draw: inverse CDF over the kept, renormalised probabilities with one uniform per position. With a seeded
/// generator the uniforms are drawn on the CPU from it and moved to the device (B floats per step, reproducible
/// per request whatever the batch); without one they come from the device's global RNG. Inverse CDF rather than an
/// exponential race (Gumbel-max) because the race needs B × V noise values per step (~20 MB for B = 32 and a
/// 157k vocabulary) to be generated on the CPU and copied over.</item>
/// <item>Confidence: the drawn token's filtered, renormalised probability.</item>
/// </list>
/// </summary>
internal static class FilteredSampling
{
    private static readonly Scalar Zero = 0.0f.ToScalar();
    private static readonly Scalar One = 1L.ToScalar();

    /// <summary>Samples <paramref name="logits"/> [B, V] into <paramref name="tokens"/> and <paramref name="confidences"/> ([B] fp32 views).
    /// Call inside a dispose scope.</summary>
    public static void Sample(Tensor logits, SamplingParams settings, Generator? generator, Tensor tokens, Tensor confidences)
    {
        long vocab = logits.shape[1];
        using var temperature = settings.Temperature.ToScalar();
        var (sorted, order) = logits.div(temperature).softmax(-1).sort(-1, descending: true, stable: true);
        if (settings.TopK > 0 && settings.TopK < vocab)
            sorted.narrow(-1, settings.TopK, vocab - settings.TopK).zero_();
        if (settings.TopP < 1)
        {
            using var topP = settings.TopP.ToScalar();
            sorted.masked_fill_(sorted.cumsum(-1).sub_(sorted).ge(topP), Zero);
        }
        if (settings.MinP > 0)
        {
            using var minP = settings.MinP.ToScalar();
            sorted.masked_fill_(sorted.lt(sorted.narrow(-1, 0, 1).mul(minP)), Zero);
        }

        var cdf = sorted.cumsum(-1);
        var total = cdf.narrow(-1, vocab - 1, 1);
        var target = Uniforms(logits.shape[0], generator, logits.device).mul_(total);
        var lastKept = sorted.gt(Zero).sum(-1, keepdim: true).sub_(One);
        var pick = cdf.le(target).sum(-1, keepdim: true).minimum(lastKept);
        tokens.copy_(order.gather(-1, pick).squeeze(-1));
        confidences.copy_(sorted.gather(-1, pick).div_(total).squeeze(-1));
    }

    private static Tensor Uniforms(long count, Generator? generator, Device device) =>
        generator is null
            ? rand([count, 1], float32, device)
            : rand([count, 1], float32, CPU, generator: generator).to(device);
}
