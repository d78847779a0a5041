using Dllm.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Dllm.Scheduling;

/// <summary>
/// The scheduler's K/V bookkeeping (nano-vllm's block manager, SGLang's lazy growth): at admission a request gets a page
/// table for its known tokens and its current block only, its longest cached prefix shared from the prefix cache; each
/// block it goes on to takes one more page (<see cref="TryGrow"/>), and when none is left the scheduler retracts another
/// request (<see cref="Retract"/>). Its whole prompt pages enter the cache once prefilled, its whole output pages that a
/// clean pass wrote when it ends or is retracted; its pages are released the moment it ends, however it ends. Requests
/// whose block size is not the page size are served paged but neither use nor fill the cache (their blocks do not fall
/// on page boundaries). Counts hits for <see cref="KvCacheStats"/>. Scheduler thread only, but <see cref="Stats"/>,
/// which any thread may read.
/// </summary>
internal sealed class PageManager(PagePool pool, int contextLength, bool prefixCaching, ILogger logger)
{
    private long _retractions;
    private long _requests, _hitRequests, _hitBlocks, _cachedTokens, _prefilledTokens;
    private volatile KvCacheStats? _stats;

    /// <summary>Positions per page.</summary>
    public int PageSize => pool.PageSize;

    /// <summary>Pages in the pool.</summary>
    public int Capacity => pool.Capacity;

    /// <summary>The last published snapshot (thread-safe).</summary>
    public KvCacheStats Stats => _stats ?? throw new InvalidOperationException("no snapshot published yet");

    /// <summary>The pages a request needs now: its positions up to the end of its current block (from
    /// <see cref="EngineRequest.BlockStart"/>), at most the context.</summary>
    public int PagesNow(EngineRequest request) =>
        (int)Math.Max(1, (Math.Min((long)request.BlockStart + request.Algorithm.BlockSize, contextLength) + PageSize - 1) / PageSize);

    /// <summary>Whether <paramref name="request"/>'s page table covers its current block.</summary>
    public bool Covers(EngineRequest request) => request.PageTable is int[] table && table.Length >= PagesNow(request);

    /// <summary>
    /// Reserves the pages of <paramref name="request"/>'s known tokens <paramref name="tokens"/> before
    /// <paramref name="prefixLength"/> (whole blocks; its <see cref="EngineRequest.BlockStart"/>) and of its current block,
    /// reusing the cached pages of its longest cached prefix; null, with nothing reserved, when the pool cannot supply them
    /// now (the request waits), else the positions whose K/V came from the cache (its prefill starts there). Sets its page
    /// table and cached lengths.
    /// </summary>
    public int? TryReserve(EngineRequest request, int[] tokens, int prefixLength)
    {
        var shared = Caches(request) ? pool.Index.Match(tokens, prefixLength / PageSize, request.Algorithm.BlockSize) : [];
        int needed = PagesNow(request);
        if (pool.TryReserve(shared, needed) is not int[] table)
        {
            if (!request.WaitedForPages)
                logger.RequestWaitsForPages(request.Id, needed - shared.Count, pool.Free, pool.Evictable, pool.Capacity);
            request.WaitedForPages = true;
            return null;
        }
        request.PageTable = table;
        request.CachedLength = shared.Count * PageSize;
        bool first = request.Retractions == 0;
        if (first)
        {
            // A re-admission is no new request: its counters were taken at its first admission.
            request.PromptCachedLength = request.CachedLength;
            _requests++;
            if (shared.Count > 0)
            {
                _hitRequests++;
                _hitBlocks += shared.Count;
                _cachedTokens += request.CachedLength;
            }
        }
        _prefilledTokens += prefixLength - request.CachedLength;
        return request.CachedLength;
    }

    /// <summary>
    /// Gives a running request whose block resolved the page(s) of its next block (free ones first, else evicted cached
    /// ones); false, with nothing taken, when the pool has none left (the scheduler retracts another request).
    /// </summary>
    public bool TryGrow(EngineRequest request)
    {
        if (Covers(request))
            return true;
        if (pool.TryGrow(request.PageTable!, PagesNow(request)) is not int[] grown)
            return false;
        request.PageTable = grown;
        return true;
    }

    /// <summary>Takes a running request's pages back to make room (its clean pages cached as on a normal end, so its
    /// re-admission prefills little) and counts the retraction; returns the pages it held.</summary>
    public int Retract(EngineRequest request)
    {
        int held = request.PageTable!.Length;
        Release(request, failed: false);
        request.Retractions++;
        _retractions++;
        return held;
    }

    /// <summary>Enters the pages the prefill wrote (positions below <paramref name="prefixLength"/> of
    /// <paramref name="tokens"/>) into the cache, where requests admitted from now on find them.</summary>
    public void OnPrefilled(EngineRequest request, int[] tokens, int prefixLength)
    {
        if (Caches(request))
            pool.Index.Insert(request.PageTable!, tokens, prefixLength / PageSize, request.Algorithm.BlockSize);
    }

    /// <summary>
    /// Releases an ending request's pages; when it did not fail, its whole pages of final K/V enter the cache first: the
    /// positions before its current block, less a resolved block whose clean pass has not run, of tokens exactly known
    /// (prompt, then the output of its resolved blocks).
    /// </summary>
    public void Release(EngineRequest request, bool failed)
    {
        if (request.PageTable is not int[] table)
            return;
        if (!failed && Caches(request) && request.Block is not null)
        {
            int clean = request.BlockStart - (request.PendingCleanTokens?.Length ?? 0);
            int[] tokens = request.KnownTokens();
            int pages = Math.Min(clean, tokens.Length) / PageSize;
            pool.Index.Insert(table, tokens, pages, request.Algorithm.BlockSize);
        }
        pool.Release(table);
        request.PageTable = null;
    }

    /// <summary>The pool's bookkeeping problems (<see cref="PagePool.Audit"/>): call while the engine is idle.</summary>
    public IReadOnlyList<string> Audit() => pool.Audit();

    /// <summary>Publishes a snapshot of the pool and the counters for other threads.</summary>
    public KvCacheStats Publish()
    {
        var stats = new KvCacheStats
        {
            PageSize = PageSize,
            TotalPages = pool.Capacity,
            PagesInUse = pool.InUse,
            PagesFree = pool.Free,
            PagesCached = pool.Index.Count,
            PagesEvictable = pool.Evictable,
            PrefixCacheEnabled = prefixCaching,
            Requests = _requests,
            CacheHitRequests = _hitRequests,
            CacheHitBlocks = _hitBlocks,
            CachedTokens = _cachedTokens,
            PrefilledTokens = _prefilledTokens,
            Retractions = _retractions,
        };
        _stats = stats;
        return stats;
    }

    private bool Caches(EngineRequest request) => prefixCaching && request.Algorithm.BlockSize == PageSize;
}
