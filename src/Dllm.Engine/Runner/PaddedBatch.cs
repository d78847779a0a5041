using Dllm.Model;

namespace Dllm.Runner;

/// <summary>
/// A batch padded with rows that only fill a CUDA graph's batch size (<see cref="GraphBatchSizes"/>). A padding row is a
/// sequence with no prefix whose new tokens are the first request's, at positions 0 onwards, held in the cache's scratch
/// pages (<see cref="KvCache.ScratchPages"/>): it writes its K/V there and reads nothing but them, so no real row sees it
/// (a request's keys are its own prefix and block) and nothing it writes is read by another request. Every padding row
/// is the same sequence, so they write the same values to the same rows. Its logits rows follow the real ones and are
/// not returned.
/// </summary>
internal static class PaddedBatch
{
    /// <summary>Whether <paramref name="cache"/> has scratch pages for a padding row of <paramref name="newTokens"/> tokens.</summary>
    public static bool CanPad(KvCache cache, int newTokens) => ScratchPagesFor(cache, newTokens) <= cache.ScratchPages;

    /// <summary><paramref name="requests"/> followed by padding rows up to <paramref name="size"/> requests (the list
    /// itself when it has them; <see cref="CanPad"/> must hold).</summary>
    public static IReadOnlyList<ForwardRequest> Pad(IReadOnlyList<ForwardRequest> requests, int size, KvCache cache)
    {
        if (requests.Count >= size)
            return requests;
        int newTokens = requests[0].TokenIds.Length;
        if (!CanPad(cache, newTokens))
            throw new ArgumentException($"a padding row of {newTokens} tokens needs {ScratchPagesFor(cache, newTokens)} scratch pages, the cache has {cache.ScratchPages}", nameof(cache));
        var scratch = Enumerable.Range(cache.Pages, ScratchPagesFor(cache, newTokens)).ToArray();
        var padding = new ForwardRequest(scratch, 0, requests[0].TokenIds);
        var padded = new List<ForwardRequest>(size);
        padded.AddRange(requests);
        while (padded.Count < size)
            padded.Add(padding);
        return padded;
    }

    private static int ScratchPagesFor(KvCache cache, int newTokens) => (newTokens + cache.PageSize - 1) / cache.PageSize;
}
