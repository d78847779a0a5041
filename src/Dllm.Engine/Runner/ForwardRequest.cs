namespace Dllm.Runner;

/// <summary>
/// One sequence's part of a batched forward: <see cref="TokenIds"/> are the new tokens at absolute positions
/// <c>Start .. Start + TokenIds.Length - 1</c>; the K/V of positions below <see cref="Start"/> are already in the cache, in
/// the pages of <see cref="PageTable"/> (position p in page <c>PageTable[p / pageSize]</c>, at <c>p % pageSize</c>).
/// </summary>
/// <param name="PageTable">The sequence's cache pages, for positions 0 onwards (at least up to the last new token).</param>
/// <param name="Start">Absolute position of the first new token (= cached prefix length).</param>
/// <param name="TokenIds">The new tokens (every request of a batch has the same count).</param>
public sealed record ForwardRequest(IReadOnlyList<int> PageTable, int Start, int[] TokenIds)
{
    /// <summary>A sequence held in one page (a cache of one page per sequence, each as long as the context).</summary>
    /// <param name="page">The sequence's page.</param>
    /// <param name="start">Absolute position of the first new token.</param>
    /// <param name="tokenIds">The new tokens.</param>
    public ForwardRequest(int page, int start, int[] tokenIds)
        : this([page], start, tokenIds)
    {
    }

    /// <summary>Pages that hold positions 0 .. <c>Start + TokenIds.Length - 1</c> (the ones a forward reads or writes).</summary>
    internal int PagesUsed(int pageSize) => (Start + TokenIds.Length + pageSize - 1) / pageSize;
}
