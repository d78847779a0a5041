namespace Dllm.Scheduling;

/// <summary>
/// The pages of the paged K/V cache, as the scheduler hands them out: a reference count per page, the free pages
/// (lowest first), and the prefix cache's pages (<see cref="Index"/>) that no request references, evicted least recently
/// released first (the deepest page of a sequence first) when the pool needs pages. A page is free, in use (referenced),
/// or cached and unreferenced; <c>InUse + Evictable + Free = Capacity</c>. Not thread-safe (the scheduler thread owns it).
/// </summary>
internal sealed class PagePool
{
    private readonly int[] _refs;
    private readonly (long Released, int Depth, int Page)[] _evictKey;
    private readonly SortedSet<int> _free;
    private readonly SortedSet<(long Released, int Depth, int Page)> _evictable = [];
    private long _clock;

    public PagePool(int pages, int pageSize, PrefixIndex.Hasher? hash = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pages, 1);
        Capacity = pages;
        _refs = new int[pages];
        _evictKey = new (long, int, int)[pages];
        _free = [.. Enumerable.Range(0, pages)];
        Index = new PrefixIndex(pages, pageSize, hash);
    }

    /// <summary>Pages in all.</summary>
    public int Capacity { get; }

    /// <summary>Positions per page.</summary>
    public int PageSize => Index.PageSize;

    /// <summary>The prefix cache's keys of the pages.</summary>
    public PrefixIndex Index { get; }

    /// <summary>Pages neither referenced nor cached.</summary>
    public int Free => _free.Count;

    /// <summary>Cached pages no request references (taken back when the pool needs pages).</summary>
    public int Evictable => _evictable.Count;

    /// <summary>Pages referenced by running requests.</summary>
    public int InUse => Capacity - Free - Evictable;

    /// <summary>The reference count of <paramref name="page"/>.</summary>
    public int References(int page) => _refs[page];

    /// <summary>
    /// A page table of <paramref name="pages"/> pages whose first ones are <paramref name="shared"/> (cached pages, now
    /// referenced once more) and the rest fresh pages (free ones first, else evicted cached ones); null, with nothing
    /// changed, when the pool cannot supply them now.
    /// </summary>
    public int[]? TryReserve(IReadOnlyList<int> shared, int pages)
    {
        int fresh = pages - shared.Count;
        int sharedIdle = shared.Count(page => _refs[page] == 0);
        if (fresh < 0 || Free + Evictable - sharedIdle < fresh)
            return null;
        var table = new int[pages];
        for (int i = 0; i < shared.Count; i++)
        {
            table[i] = shared[i];
            if (_refs[shared[i]]++ == 0)
                _evictable.Remove(_evictKey[shared[i]]);
        }
        TakeFresh(table, shared.Count);
        return table;
    }

    /// <summary>
    /// <paramref name="table"/> grown to <paramref name="pages"/> pages by fresh ones at its end (free ones first, else
    /// evicted cached ones): a running request's next block; null, with nothing changed, when the pool cannot supply them now.
    /// </summary>
    public int[]? TryGrow(int[] table, int pages)
    {
        if (pages <= table.Length)
            return table;
        if (Free + Evictable < pages - table.Length)
            return null;
        var grown = new int[pages];
        table.CopyTo(grown, 0);
        TakeFresh(grown, table.Length);
        return grown;
    }

    /// <summary>Drops a request's references: a page no one references goes back to the free pages, or, when cached,
    /// to the evictable ones (as the most recently used).</summary>
    public void Release(IReadOnlyList<int> table)
    {
        long released = ++_clock;
        foreach (int page in table)
        {
            if (_refs[page] <= 0)
                throw new InvalidOperationException($"page {page} was released more often than it was taken");
            if (--_refs[page] > 0)
                continue;
            if (Index.Contains(page))
            {
                // Deeper pages first among pages released together: a prefix outlives its extensions.
                _evictKey[page] = (released, -Index.Depth(page), page);
                _evictable.Add(_evictKey[page]);
            }
            else
            {
                _free.Add(page);
            }
        }
    }

    /// <summary>
    /// Checks the bookkeeping from the ground truth (the reference counts, the free and evictable sets, the index): every
    /// page is exactly one of referenced, free (uncached) or evictable (cached); the problems found, none when sound.
    /// </summary>
    public IReadOnlyList<string> Audit()
    {
        var problems = new List<string>();
        var evictable = _evictable.Select(e => e.Page).ToHashSet();
        for (int page = 0; page < Capacity; page++)
        {
            bool referenced = _refs[page] > 0, free = _free.Contains(page), idle = evictable.Contains(page), cached = Index.Contains(page);
            if (_refs[page] < 0)
                problems.Add($"page {page}: reference count {_refs[page]}");
            if ((referenced ? 1 : 0) + (free ? 1 : 0) + (idle ? 1 : 0) != 1)
                problems.Add($"page {page}: referenced {referenced}, free {free}, evictable {idle}");
            if (free && cached)
                problems.Add($"page {page}: free but cached");
            if (idle && !cached)
                problems.Add($"page {page}: evictable but not cached");
        }
        return problems;
    }

    /// <summary>Fills <paramref name="table"/> from <paramref name="from"/> on with fresh pages, each referenced once.</summary>
    private void TakeFresh(int[] table, int from)
    {
        for (int i = from; i < table.Length; i++)
        {
            table[i] = TakeFresh();
            _refs[table[i]] = 1;
        }
    }

    private int TakeFresh()
    {
        if (_free.Count > 0)
        {
            int page = _free.Min;
            _free.Remove(page);
            return page;
        }
        var victim = _evictable.Min;
        _evictable.Remove(victim);
        Index.Forget(victim.Page);
        return victim.Page;
    }
}
