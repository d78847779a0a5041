namespace Dllm.Training.Objective;

/// <summary>
/// One batch of the block-diffusion objective (BD3-LM / LLaDA2 SFT) in one forward: each sequence of padded length L
/// appears twice side by side, <c>[noisy x_t | clean x_0]</c>, both at positions 0..L-1. In the noisy copy every block b
/// has its own ratio <c>t_b ~ U(ε, 1]</c> and each response token of the block is replaced by the mask token with
/// probability t_b (prompt tokens never). Attention (<see cref="Mask"/>): a noisy token sees its own noisy block and the
/// clean blocks before it; a clean token sees clean blocks up to its own (block-causal, as in inference). So every
/// block is denoised from clean earlier blocks, exactly the context decoding gives it. The mask depends only on L and
/// the block size, so one [2L, 2L] mask serves every sequence of the batch. The loss is the cross-entropy
/// at masked positions weighted 1/t_b (<see cref="Weights"/>), summed and divided by the response tokens of the batch.
/// </summary>
public sealed class BlockDiffusionBatch
{
    private const double MinimumRatio = 1e-3;

    private BlockDiffusionBatch(int batchSize, int length)
    {
        BatchSize = batchSize;
        Length = length;
        TokenIds = new long[batchSize * 2 * length];
        Positions = new long[batchSize * 2 * length];
        Mask = new bool[2 * length * 2 * length];
    }

    /// <summary>Sequences in the batch.</summary>
    public int BatchSize { get; }

    /// <summary>Padded sequence length L (the forward runs 2L tokens per sequence).</summary>
    public int Length { get; }

    /// <summary>[B · 2L] ids: noisy copy then clean copy of each sequence.</summary>
    public long[] TokenIds { get; }

    /// <summary>[B · 2L] positions.</summary>
    public long[] Positions { get; }

    /// <summary>[2L · 2L] attention mask, shared by the sequences.</summary>
    public bool[] Mask { get; }

    /// <summary>Flat indices (into [B · 2L]) of the masked noisy positions.</summary>
    public long[] MaskedIndices { get; private set; } = [];

    /// <summary>Their targets (the clean tokens).</summary>
    public long[] Targets { get; private set; } = [];

    /// <summary>Their loss weights 1/t.</summary>
    public float[] Weights { get; private set; } = [];

    /// <summary>Response tokens (prompt excluded, EOS fill included) of the batch: the loss's denominator.</summary>
    public int ResponseTokens { get; private set; }

    /// <summary>Tokens the forward runs (B · 2L).</summary>
    public long ForwardTokens => TokenIds.Length;

    /// <summary>Builds the batch; the noise comes from <paramref name="random"/>. Batch padding (EOS) gets no loss. With
    /// <paramref name="fullMaskFraction"/> &gt; 0 that fraction of the blocks is masked whole (t = 1: the first step of
    /// a block's decoding, where every position is still a mask); 0 draws exactly the noise it always did.</summary>
    public static BlockDiffusionBatch Build(IReadOnlyList<TrainingSequence> sequences, int blockSize, int maskTokenId, int padTokenId, Random random,
        double fullMaskFraction = 0)
    {
        ArgumentOutOfRangeException.ThrowIfZero(sequences.Count);
        ArgumentOutOfRangeException.ThrowIfNegative(fullMaskFraction);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fullMaskFraction, 1);
        int length = sequences.Max(s => s.Tokens.Length);
        var batch = new BlockDiffusionBatch(sequences.Count, length);
        var masked = new List<long>();
        var targets = new List<long>();
        var weights = new List<float>();
        int n = 2 * length;
        for (int s = 0; s < sequences.Count; s++)
        {
            var sequence = sequences[s];
            int offset = s * n;
            double[] ratios = [.. Enumerable.Range(0, length / blockSize).Select(_ =>
                fullMaskFraction > 0 && random.NextDouble() < fullMaskFraction ? 1.0 : MinimumRatio + (1 - MinimumRatio) * (1 - random.NextDouble()))];
            for (int i = 0; i < length; i++)
            {
                long token = i < sequence.Tokens.Length ? sequence.Tokens[i] : padTokenId;
                batch.TokenIds[offset + i] = token;
                batch.TokenIds[offset + length + i] = token;
                batch.Positions[offset + i] = i;
                batch.Positions[offset + length + i] = i;
                bool response = i >= sequence.PromptLength && i < sequence.Tokens.Length;
                if (response)
                    batch.ResponseTokens++;
                double t = ratios[i / blockSize];
                if (response && random.NextDouble() < t)
                {
                    batch.TokenIds[offset + i] = maskTokenId;
                    masked.Add(offset + i);
                    targets.Add(token);
                    weights.Add((float)(1 / t));
                }
            }
        }
        for (int q = 0; q < n; q++)
        {
            bool noisyQuery = q < length;
            int queryBlock = (q % length) / blockSize;
            for (int k = 0; k < n; k++)
            {
                bool noisyKey = k < length;
                int keyBlock = (k % length) / blockSize;
                batch.Mask[q * n + k] = noisyQuery
                    ? (noisyKey ? keyBlock == queryBlock : keyBlock < queryBlock)
                    : !noisyKey && keyBlock <= queryBlock;
            }
        }
        batch.MaskedIndices = [.. masked];
        batch.Targets = [.. targets];
        batch.Weights = [.. weights];
        return batch;
    }
}
