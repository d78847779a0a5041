namespace Dllm.Training.Objective;

/// <summary>
/// Draws training batches of about <c>tokenBudget</c> tokens from sequences of one length: the sequences are grouped by
/// their (block-padded) length, a step picks a group with probability proportional to the tokens it holds and draws
/// <c>max(1, tokenBudget / length)</c> sequences from it uniformly. Every sequence is then drawn at the same rate per
/// token as uniform sampling would give, but a batch has no padding: batching the short tool and copy examples with a
/// 576-token count to 128 made three quarters of each forward padding.
/// </summary>
public sealed class LengthBucketSampler
{
    private readonly TrainingSequence[][] _groups;
    private readonly double[] _cumulativeTokens;
    private readonly int _tokenBudget;

    /// <param name="sequences">The training sequences.</param>
    /// <param name="tokenBudget">Tokens per batch (of the sequences, before the clean copy doubles them).</param>
    public LengthBucketSampler(IReadOnlyList<TrainingSequence> sequences, int tokenBudget)
    {
        ArgumentOutOfRangeException.ThrowIfZero(sequences.Count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokenBudget);
        _tokenBudget = tokenBudget;
        _groups = [.. sequences.GroupBy(s => s.Tokens.Length).OrderBy(g => g.Key).Select(g => g.ToArray())];
        _cumulativeTokens = new double[_groups.Length];
        double total = 0;
        for (int g = 0; g < _groups.Length; g++)
            _cumulativeTokens[g] = total += (double)_groups[g].Length * _groups[g][0].Tokens.Length;
    }

    /// <summary>The next batch's sequences (all of one length).</summary>
    public IReadOnlyList<TrainingSequence> Next(Random random)
    {
        double pick = random.NextDouble() * _cumulativeTokens[^1];
        int index = Array.FindIndex(_cumulativeTokens, c => pick < c);
        var group = _groups[index < 0 ? _groups.Length - 1 : index];
        int count = Math.Max(1, _tokenBudget / group[0].Tokens.Length);
        return [.. Enumerable.Range(0, count).Select(_ => group[random.Next(group.Length)])];
    }

    /// <summary>Splits <paramref name="sequences"/> into batches of one length and at most about the token budget each
    /// (in a fixed order: the held-out evaluation).</summary>
    public static IEnumerable<IReadOnlyList<TrainingSequence>> Chunks(IReadOnlyList<TrainingSequence> sequences, int tokenBudget) =>
        sequences.GroupBy(s => s.Tokens.Length).OrderBy(g => g.Key)
            .SelectMany(g => g.Chunk(Math.Max(1, tokenBudget / g.Key)).Select(c => (IReadOnlyList<TrainingSequence>)c));
}
