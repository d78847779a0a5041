using Dllm.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Decoding;

/// <summary>
/// Turns a batch's logits into one proposal (token + confidence) per block position, on the logits' device, and
/// brings them to the host in one transfer.
/// <list type="bullet">
/// <item>Greedy requests (<see cref="SamplingParams.IsGreedy"/>), all in one op set: token = argmax, confidence =
/// softmax(logits)[argmax] = exp(max − logsumexp) in fp32.</item>
/// <item>Sampled requests, one op set per request (see <see cref="FilteredSampling"/>): softmax(logits / T) filtered
/// by top-k, top-p and min-p, renormalised; one draw per position; confidence = the drawn token's filtered,
/// renormalised probability.</item>
/// </list>
/// Transfer layout: one fp32 tensor [2, R, B] on the device (row 0 = token ids, exact in fp32 because
/// V ≤ 2^24; row 1 = confidences), copied to the host once.
/// </summary>
public sealed class TokenSampler
{
    /// <summary>Largest vocabulary whose ids are exact in fp32 (the transfer layout).</summary>
    public const long MaxVocabularySize = 1L << 24;

    /// <summary>Whether a step whose requests are all greedy takes its proposals from the native one-pass kernel on CUDA
    /// (<see cref="Native.CudaNative.GreedyPropose"/>) instead of torch's reductions: the same tokens, confidences that
    /// may differ in their last bits (another summation order). The engine sets it for bf16 models; fp32 ones, the
    /// reference runs, keep torch's reductions.</summary>
    internal bool NativeGreedy { get; init; }

    /// <summary>The switch of <see cref="NativeGreedy"/> for every sampler (default true; the bench's
    /// <c>--native-greedy false</c> measures the op path).</summary>
    internal static bool NativeGreedyEnabled { get; set; } = true;

    /// <summary>The per-request generator for <see cref="SamplingParams.Seed"/> (a CPU generator, as TorchSharp
    /// has no device generators), or null for an unseeded request. Create it once per request and pass it to every
    /// <see cref="Propose"/> of that request so its draws continue one reproducible stream.</summary>
    public static Generator? CreateGenerator(SamplingParams samplingParams)
    {
        ArgumentNullException.ThrowIfNull(samplingParams);
        return samplingParams.Seed is long seed ? new Generator(unchecked((ulong)seed), CPU) : null;
    }

    /// <summary>Proposes a token and its confidence for every position of every request.</summary>
    /// <param name="logits">[R, B, V] on any device (not modified): fp32, or the bf16 / fp16 logits of a model in that
    /// dtype, which are widened to fp32 exactly where the proposals need it (sampled rows, torch's reductions).</param>
    /// <param name="perRequest">R sampling settings, one per row.</param>
    /// <param name="generators">R generators (<see cref="CreateGenerator"/>); null entries use the device's global RNG.
    /// Unused for greedy rows.</param>
    /// <returns>R × B tokens and confidences on the host, row-major.</returns>
    public SampledProposals Propose(Tensor logits, IReadOnlyList<SamplingParams> perRequest, IReadOnlyList<Generator?> generators)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(perRequest);
        ArgumentNullException.ThrowIfNull(generators);
        CheckShape(logits, perRequest.Count, generators.Count);
        int rows = (int)logits.shape[0], blockSize = (int)logits.shape[1];

        using var scope = NewDisposeScope();
        var output = empty([2, rows, blockSize], float32, logits.device);
        int[] greedyRows = Enumerable.Range(0, rows).Where(r => perRequest[r].IsGreedy).ToArray();
        // Sampling reads fp32; greedy rows alone may keep the model's dtype (the native kernel reads bf16 as it is).
        var scores = greedyRows.Length == rows ? logits : LogitsWidening.ToFloat(logits);
        ProposeGreedy(scores, greedyRows, output, NativeGreedy && NativeGreedyEnabled);
        for (int r = 0; r < rows; r++)
        {
            if (!perRequest[r].IsGreedy)
                FilteredSampling.Sample(scores[r], perRequest[r], generators[r], output[0, r], output[1, r]);
        }
        return ToHost(output, rows, blockSize);
    }

    /// <summary>The greedy proposals of <paramref name="rows"/> of <paramref name="logits"/> [R, B, V] (fp32, or bf16 /
    /// fp16 widened exactly first) into <paramref name="output"/> [2, R, B] (row 0 token ids, row 1 confidences), on the
    /// logits' device; with <paramref name="native"/>, where every row is greedy and the native piece serves the device,
    /// in one kernel that reads fp32 or bf16 logits as they are (bf16 giving the bits of its fp32 widening).</summary>
    internal static void ProposeGreedy(Tensor logits, int[] rows, Tensor output, bool native = false)
    {
        if (rows.Length == 0)
            return;
        bool all = rows.Length == logits.shape[0];
        if (native && all && Native.CudaNative.Serves(logits.device) && logits.is_contiguous()
            && logits.dtype is ScalarType.Float32 or ScalarType.BFloat16)
        {
            Native.CudaNative.GreedyPropose(logits.view(-1, logits.shape[2]), output.view(2, -1));
            return;
        }
        var index = all ? null : tensor(rows.Select(r => (long)r).ToArray(), int64, logits.device);
        var selected = LogitsWidening.ToFloat(index is null ? logits : logits.index_select(0, index));
        var (max, argmax) = selected.max(-1);
        var confidence = max.sub_(selected.logsumexp(-1)).exp_();
        if (index is null)
        {
            output[0].copy_(argmax);
            output[1].copy_(confidence);
        }
        else
        {
            output[0].index_copy_(0, index, argmax.to(float32));
            output[1].index_copy_(0, index, confidence);
        }
    }

    private static SampledProposals ToHost(Tensor output, int rows, int blockSize)
    {
        float[] host = output.cpu().data<float>().ToArray();
        int count = rows * blockSize;
        int[] tokens = new int[count];
        for (int i = 0; i < count; i++)
            tokens[i] = (int)host[i];
        return new SampledProposals(rows, blockSize, tokens, host[count..]);
    }

    private static void CheckShape(Tensor logits, int requests, int generators)
    {
        if (logits.dim() != 3 || logits.dtype is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16))
            throw new ArgumentException($"Expected fp32, bf16 or fp16 logits [R, B, V], got {logits.dtype} [{string.Join(", ", logits.shape)}].", nameof(logits));
        if (requests != logits.shape[0] || generators != logits.shape[0])
            throw new ArgumentException($"Expected {logits.shape[0]} sampling settings and generators (one per row), got {requests} and {generators}.");
        if (logits.shape[2] > MaxVocabularySize)
            throw new ArgumentException($"Vocabularies above {MaxVocabularySize} tokens are not supported (ids travel as fp32), got {logits.shape[2]}.", nameof(logits));
    }
}
