namespace Dllm;

/// <summary>
/// A snapshot of the engine's paged K/V cache and its prefix cache (<see cref="DllmEngine.KvCacheStats"/>): the pool's
/// pages by state (<see cref="PagesInUse"/> + <see cref="PagesEvictable"/> + <see cref="PagesFree"/> =
/// <see cref="TotalPages"/>) and the prefix cache's hits since the engine started.
/// </summary>
public sealed record KvCacheStats
{
    /// <summary>Positions per page (the engine's block size).</summary>
    public required int PageSize { get; init; }

    /// <summary>Pages in the pool.</summary>
    public required int TotalPages { get; init; }

    /// <summary>Tokens the pool holds (<see cref="TotalPages"/> × <see cref="PageSize"/>).</summary>
    public long TotalTokens => (long)TotalPages * PageSize;

    /// <summary>Pages referenced by running requests (reserved at admission for everything a request may write).</summary>
    public required int PagesInUse { get; init; }

    /// <summary>Pages neither referenced nor cached.</summary>
    public required int PagesFree { get; init; }

    /// <summary>Pages in the prefix cache (referenced by running requests or not).</summary>
    public required int PagesCached { get; init; }

    /// <summary>Cached pages no request references: reused by a request with the same prefix, or evicted (least
    /// recently used first) when the pool needs pages.</summary>
    public required int PagesEvictable { get; init; }

    /// <summary>Whether the prefix cache is on (<see cref="DllmEngineOptions.DisableRadixCache"/> not set).</summary>
    public required bool PrefixCacheEnabled { get; init; }

    /// <summary>Requests admitted since start.</summary>
    public required long Requests { get; init; }

    /// <summary>Requests that reused at least one cached block of their prompt.</summary>
    public required long CacheHitRequests { get; init; }

    /// <summary>Prompt blocks (pages) reused from the cache.</summary>
    public required long CacheHitBlocks { get; init; }

    /// <summary>Prompt tokens whose K/V came from the cache instead of a prefill.</summary>
    public required long CachedTokens { get; init; }

    /// <summary>Tokens prefilled (whole prompt blocks not found in the cache, and a retracted request's known tokens not
    /// found at its re-admission).</summary>
    public required long PrefilledTokens { get; init; }

    /// <summary>Running requests retracted so far: their pages taken back for an older request's next block when the pool
    /// had none left; each waits at the head of the queue and resumes from its last resolved block.</summary>
    public required long Retractions { get; init; }
}
