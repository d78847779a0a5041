namespace Dllm.Scheduling;

/// <summary>
/// The prefix cache's index over the pages of the K/V pool: a full page of a sequence is keyed by a hash chain over its
/// content — the key of page k is (the entry of page k−1, the hash of page k's tokens), the chain rooted at a seed of
/// the block size (block-causal K/V depend on it) — so a page is found only after every page before it. A lookup
/// compares the entry's parent and stored tokens exactly: a hash collision is a miss, never a wrong page. Which pages
/// hold reusable K/V (final, of exactly these tokens) is the caller's to know; this class only keeps the keys.
/// Not thread-safe (the scheduler thread owns it).
/// </summary>
internal sealed class PrefixIndex(int pages, int pageSize, PrefixIndex.Hasher? hash = null)
{
    /// <summary>Hashes one page of tokens (a test seam: a hash that collides must still never give a wrong page).</summary>
    public delegate ulong Hasher(ReadOnlySpan<int> tokens);

    private readonly Hasher _hash = hash ?? Fnv1a;
    private readonly Dictionary<(long Parent, ulong Hash), int> _pages = [];
    private readonly PrefixNode?[] _nodes = new PrefixNode?[pages];
    private long _lastId;

    /// <summary>Positions per page.</summary>
    public int PageSize { get; } = pageSize;

    /// <summary>Pages in the cache (referenced by running requests or not).</summary>
    public int Count => _pages.Count;

    /// <summary>Whether <paramref name="page"/> is in the cache.</summary>
    public bool Contains(int page) => _nodes[page] is not null;

    /// <summary>The index in its sequence of a cached page (0 for the first page).</summary>
    public int Depth(int page) => _nodes[page]?.Depth ?? 0;

    /// <summary>The longest run of cached pages that hold <paramref name="tokens"/>' first <paramref name="maxPages"/>
    /// pages, in order, for sequences of block size <paramref name="blockSize"/>.</summary>
    public List<int> Match(ReadOnlySpan<int> tokens, int maxPages, int blockSize)
    {
        var matched = new List<int>();
        long parent = Root(blockSize);
        for (int k = 0; k < maxPages; k++)
        {
            var chunk = tokens.Slice(k * PageSize, PageSize);
            if (Find(parent, chunk) is not int page)
                break;
            matched.Add(page);
            parent = _nodes[page]!.Id;
        }
        return matched;
    }

    /// <summary>
    /// Enters the first <paramref name="count"/> pages of <paramref name="table"/>, which hold <paramref name="tokens"/>
    /// (final K/V), into the cache: a page already cached is passed over, a page whose content another page holds
    /// already stays out (that one is the cache's), and a hash collision ends the run (the rest stays out).
    /// </summary>
    /// <returns>Pages newly cached.</returns>
    public int Insert(IReadOnlyList<int> table, ReadOnlySpan<int> tokens, int count, int blockSize)
    {
        long parent = Root(blockSize);
        int added = 0;
        for (int k = 0; k < count; k++)
        {
            var chunk = tokens.Slice(k * PageSize, PageSize);
            int page = table[k];
            if (_nodes[page] is { } own)
            {
                if (own.Parent != parent || !chunk.SequenceEqual(own.Tokens))
                    return added; // a page of another chain (not reachable through this one's pages)
                parent = own.Id;
                continue;
            }
            ulong hash = _hash(chunk);
            if (_pages.TryGetValue((parent, hash), out int other))
            {
                if (Find(parent, chunk) != other)
                    return added; // a collision: the key is taken by other tokens
                parent = _nodes[other]!.Id;
                continue;
            }
            var node = new PrefixNode(++_lastId, parent, hash, k, chunk.ToArray());
            _nodes[page] = node;
            _pages.Add((parent, hash), page);
            parent = node.Id;
            added++;
        }
        return added;
    }

    /// <summary>Takes <paramref name="page"/> out of the cache (it is evicted); pages after it become unreachable.</summary>
    public void Forget(int page)
    {
        if (_nodes[page] is not { } node)
            return;
        _pages.Remove((node.Parent, node.Hash));
        _nodes[page] = null;
    }

    private int? Find(long parent, ReadOnlySpan<int> chunk)
    {
        if (!_pages.TryGetValue((parent, _hash(chunk)), out int page))
            return null;
        var node = _nodes[page]!;
        return node.Parent == parent && chunk.SequenceEqual(node.Tokens) ? page : null;
    }

    /// <summary>The chain's root for sequences of block size <paramref name="blockSize"/> (ids of entries are positive).</summary>
    private static long Root(int blockSize) => -blockSize;

    /// <summary>FNV-1a over the tokens' bytes (64 bits; collisions are caught by the token comparison).</summary>
    private static ulong Fnv1a(ReadOnlySpan<int> tokens)
    {
        ulong hash = 14695981039346656037UL;
        foreach (int token in tokens)
        {
            uint value = (uint)token;
            for (int b = 0; b < 4; b++, value >>= 8)
                hash = (hash ^ (value & 0xFF)) * 1099511628211UL;
        }
        return hash;
    }
}
