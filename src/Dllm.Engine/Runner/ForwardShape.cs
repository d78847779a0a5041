using Dllm.Model;

namespace Dllm.Runner;

/// <summary>What a captured forward is specialised to: batch size, new tokens per request, padded prefix length,
/// whether it writes the cache, the MoE path, which cache it reads and writes, and the first new token with logits.</summary>
internal readonly record struct ForwardShape(int BatchSize, int NewTokens, int PrefixLength, bool WriteCache, MoePath Path, long CacheId, int LogitsFrom)
{
    /// <summary>Logits rows per request ([B, LogitsTokens, V]).</summary>
    public int LogitsTokens => NewTokens - LogitsFrom;
}
