namespace Dllm.Scheduling;

/// <summary>
/// Groups the prefills of one admission round into batched forwards (SGLang's prefill batch): requests of one block size
/// with the same number of new tokens share a forward (a batched forward takes the same count from each), in admission
/// order, at most <c>maxTokens</c> new tokens a forward; a prefill longer than that runs alone. One forward of many
/// prompts reads the weights once instead of once per prompt.
/// </summary>
internal static class PrefillBatches
{
    /// <summary>The forwards for <paramref name="pending"/>, each a non-empty list in admission order.</summary>
    public static IEnumerable<List<PendingPrefill>> Split(IReadOnlyList<PendingPrefill> pending, int maxTokens)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 1);
        foreach (var group in pending.GroupBy(p => (p.BlockSize, p.NewTokens)))
        {
            var batch = new List<PendingPrefill>();
            foreach (var prefill in group)
            {
                if (batch.Count > 0 && (long)(batch.Count + 1) * prefill.NewTokens > maxTokens)
                {
                    yield return batch;
                    batch = [];
                }
                batch.Add(prefill);
            }
            yield return batch;
        }
    }
}
