namespace Dllm.Decoding;

/// <summary>
/// The LowConfidence commit rule, shared by the algorithms that fill masks: commit every masked slot whose
/// confidence is strictly greater than the threshold; if none is, commit the single masked slot with the highest
/// confidence (ties: the lowest index). The comparison is in fp32, as the device computes it.
/// </summary>
internal static class MaskFilling
{
    /// <summary>Commits masked slots of <paramref name="block"/>; returns how many (0 only when none was masked).</summary>
    public static int Fill(BlockState block, ReadOnlySpan<int> proposedTokens, ReadOnlySpan<float> confidences, double threshold)
    {
        float limit = (float)threshold;
        int[] slots = block.Tokens;
        int committed = 0, best = -1;
        for (int i = block.FixedCount; i < slots.Length; i++)
        {
            if (slots[i] != block.MaskTokenId)
                continue;
            if (confidences[i] > limit)
            {
                slots[i] = proposedTokens[i];
                committed++;
            }
            else if (best < 0 || confidences[i] > confidences[best])
            {
                best = i;
            }
        }
        if (committed == 0 && best >= 0)
        {
            slots[best] = proposedTokens[best];
            committed = 1;
        }
        block.Committed += committed;
        return committed;
    }

    /// <summary>Throws unless there is one proposal and one confidence per block slot.</summary>
    public static void CheckLengths(BlockState block, ReadOnlySpan<int> proposedTokens, ReadOnlySpan<float> confidences)
    {
        ArgumentNullException.ThrowIfNull(block);
        if (proposedTokens.Length != block.Tokens.Length || confidences.Length != block.Tokens.Length)
        {
            throw new ArgumentException(
                $"Expected {block.Tokens.Length} proposals and confidences (one per block slot), got {proposedTokens.Length} and {confidences.Length}.");
        }
    }
}
