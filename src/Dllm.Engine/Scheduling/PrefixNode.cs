namespace Dllm.Scheduling;

/// <summary>
/// A page's entry in the prefix cache: a unique id (never reused), the id of the entry of the page before it (or the
/// chain's root), the hash of its tokens, its index in the sequence, and its tokens themselves, which every match
/// compares (a hash is never trusted alone).
/// </summary>
internal sealed record PrefixNode(long Id, long Parent, ulong Hash, int Depth, int[] Tokens);
