namespace Dllm.Runner;

/// <summary>
/// One sequence's part of a batched forward: <see cref="TokenIds"/> are the new tokens at absolute positions
/// <c>Start .. Start + TokenIds.Length - 1</c>; the K/V of positions below <see cref="Start"/> are already in the cache, in
/// the pages of <see cref="PageTable"/> (position p in page <c>PageTable[p / pageSize]</c>, at <c>p % pageSize</c>).
/// With <see cref="Placeholders"/> &gt; 0 the first that many tokens only fill the batch's shape (a request with no
/// resolved block in a step that stores other requests' blocks): the real tokens are the rest, at
/// <c>Start .. Start + TokenIds.Length - Placeholders - 1</c>; no real token attends to a placeholder, placeholders see the
/// prefix and each other, sit at (and write their K/V to) the real tokens' positions, whose K/V are rewritten by
/// their own clean pass before anything reads them, and their outputs are not used.
/// </summary>
/// <param name="PageTable">The sequence's cache pages, for positions 0 onwards (at least up to the last new token).</param>
/// <param name="Start">Absolute position of the first real new token (= cached prefix length).</param>
/// <param name="TokenIds">The new tokens (every request of a batch has the same count), placeholders first.</param>
/// <param name="Placeholders">Leading tokens that only fill the shape (0 .. TokenIds.Length - 1).</param>
public sealed record ForwardRequest(IReadOnlyList<int> PageTable, int Start, int[] TokenIds, int Placeholders = 0)
{
    /// <summary>A sequence held in one page (a cache of one page per sequence, each as long as the context).</summary>
    /// <param name="page">The sequence's page.</param>
    /// <param name="start">Absolute position of the first new token.</param>
    /// <param name="tokenIds">The new tokens.</param>
    public ForwardRequest(int page, int start, int[] tokenIds)
        : this([page], start, tokenIds)
    {
    }

    /// <summary>The real new tokens (all but the placeholders).</summary>
    internal int RealTokens => TokenIds.Length - Placeholders;

    /// <summary>Absolute position of new token <paramref name="i"/>: a placeholder takes a real token's position.</summary>
    internal int PositionOf(int i) => i < Placeholders ? Start + i % RealTokens : Start + i - Placeholders;

    /// <summary>Pages that hold positions 0 .. <c>Start + RealTokens - 1</c> (the ones a forward reads or writes).</summary>
    internal int PagesUsed(int pageSize) => (Start + RealTokens + pageSize - 1) / pageSize;
}
