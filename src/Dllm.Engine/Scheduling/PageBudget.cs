namespace Dllm.Scheduling;

/// <summary>The K/V pages a request may ever need: positions up to the end of the block where its <c>max_new_tokens</c>
/// end (every block it denoises is whole), at most the context, in pages. Prepare refuses a request whose budget exceeds
/// the whole pool, so that one alone can always finish (the pool itself is taken block by block, see
/// <see cref="PageManager"/>).</summary>
internal static class PageBudget
{
    /// <summary>Positions a request may write: the prompt plus <paramref name="maxNewTokens"/> rounded up to whole
    /// blocks, capped at <paramref name="contextLength"/>.</summary>
    public static long Positions(int promptTokens, int maxNewTokens, int blockSize, int contextLength)
    {
        long end = (long)promptTokens + maxNewTokens;
        long blocks = (end + blockSize - 1) / blockSize;
        return Math.Min(blocks * blockSize, contextLength);
    }

    /// <summary>Pages of <paramref name="pageSize"/> positions for <see cref="Positions"/> (at least one).</summary>
    public static int Pages(int promptTokens, int maxNewTokens, int blockSize, int pageSize, int contextLength) =>
        (int)Math.Max(1, (Positions(promptTokens, maxNewTokens, blockSize, contextLength) + pageSize - 1) / pageSize);
}
