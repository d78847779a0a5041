namespace Dllm.Scheduling;

/// <summary>
/// A request admitted in this iteration whose known tokens still wait for their prefill: the K/V of positions
/// <see cref="Cached"/> .. <see cref="Prefix"/> − 1 of <see cref="Tokens"/> (the positions before <see cref="Cached"/>
/// came from the prefix cache; <see cref="Prefix"/> is where its current block starts).
/// </summary>
/// <param name="Request">The admitted request (its page table reserved).</param>
/// <param name="Tokens">Its known tokens: the prompt, then the output of its resolved blocks when it was retracted.</param>
/// <param name="Cached">Positions whose K/V the prefix cache supplied.</param>
/// <param name="Prefix">The whole blocks of <paramref name="Tokens"/>: the prefill ends here.</param>
internal sealed record PendingPrefill(EngineRequest Request, int[] Tokens, int Cached, int Prefix)
{
    /// <summary>Positions the prefill computes.</summary>
    public int NewTokens => Prefix - Cached;

    /// <summary>The request's block size (one forward serves one block size).</summary>
    public int BlockSize => Request.Algorithm.BlockSize;

    /// <summary>
    /// Whether this prefill writes pages that a request with known tokens <paramref name="tokens"/> (whole blocks up to
    /// <paramref name="prefix"/>) could take from the prefix cache: their common whole pages reach past what this one found
    /// cached. Such a request is reserved after this prefill, not beside it, so that it shares them.
    /// </summary>
    public bool Feeds(ReadOnlySpan<int> tokens, int prefix, int pageSize)
    {
        int common = Tokens.AsSpan(0, Prefix).CommonPrefixLength(tokens[..prefix]);
        return common / pageSize * pageSize > Cached;
    }
}
