using Dllm.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Dllm.Scheduling;

/// <summary>
/// The scheduler's K/V bookkeeping (nano-vllm's block manager): at admission a request gets a page table for every
/// position it may write (<see cref="PageBudget"/>), its longest cached prompt prefix shared from the prefix cache; its
/// whole prompt pages enter the cache once prefilled, its whole output pages that a clean pass wrote when it ends; its
/// pages are released the moment it ends, however it ends. Requests whose block size is not the page size are served
/// paged but neither use nor fill the cache (their blocks do not fall on page boundaries). Counts hits for
/// <see cref="KvCacheStats"/>. Scheduler thread only, but <see cref="Stats"/>, which any thread may read.
/// </summary>
internal sealed class PageManager(PagePool pool, int contextLength, bool prefixCaching, ILogger logger)
{
    private long _requests, _hitRequests, _hitBlocks, _cachedTokens, _prefilledTokens;
    private volatile KvCacheStats? _stats;

    /// <summary>Positions per page.</summary>
    public int PageSize => pool.PageSize;

    /// <summary>Pages in the pool.</summary>
    public int Capacity => pool.Capacity;

    /// <summary>The last published snapshot (thread-safe).</summary>
    public KvCacheStats Stats => _stats ?? throw new InvalidOperationException("no snapshot published yet");

    /// <summary>The pages a request may ever need.</summary>
    public int PagesNeeded(EngineRequest request) =>
        PageBudget.Pages(request.PromptIds.Length, request.Sampling.MaxNewTokens, request.Algorithm.BlockSize, PageSize, contextLength);

    /// <summary>
    /// Reserves <paramref name="request"/>'s pages, reusing the cached pages of its prompt's first
    /// <paramref name="prefixLength"/> positions (whole blocks); false, with nothing reserved, when the pool cannot
    /// supply them now (the request waits). Sets its page table and cached length.
    /// </summary>
    public bool TryReserve(EngineRequest request, int prefixLength)
    {
        var shared = Caches(request) ? pool.Index.Match(request.PromptIds, prefixLength / PageSize, request.Algorithm.BlockSize) : [];
        int needed = PagesNeeded(request);
        if (pool.TryReserve(shared, needed) is not int[] table)
        {
            if (!request.WaitedForPages)
                logger.RequestWaitsForPages(request.Id, needed - shared.Count, pool.Free, pool.Evictable, pool.Capacity);
            request.WaitedForPages = true;
            return false;
        }
        request.PageTable = table;
        request.CachedLength = shared.Count * PageSize;
        _requests++;
        if (shared.Count > 0)
        {
            _hitRequests++;
            _hitBlocks += shared.Count;
            _cachedTokens += request.CachedLength;
        }
        _prefilledTokens += prefixLength - request.CachedLength;
        return true;
    }

    /// <summary>Enters the prompt pages the prefill wrote (positions below <paramref name="prefixLength"/>) into the cache,
    /// where requests admitted from now on find them.</summary>
    public void OnPrefilled(EngineRequest request, int prefixLength)
    {
        if (Caches(request))
            pool.Index.Insert(request.PageTable!, request.PromptIds, prefixLength / PageSize, request.Algorithm.BlockSize);
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
            int clean = request.BlockStart - (request.PendingCleanBlock?.Length ?? 0);
            int[] tokens = [.. request.PromptIds, .. request.OutputIds];
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
        };
        _stats = stats;
        return stats;
    }

    private bool Caches(EngineRequest request) => prefixCaching && request.Algorithm.BlockSize == PageSize;
}
