namespace Dllm.Tokenization;

/// <summary>One entry of a tokenizer.json <c>added_tokens</c> list: always encoded as the single id <paramref name="Id"/>.</summary>
/// <param name="Id">The token id.</param>
/// <param name="Content">The token text, for example <c>&lt;|mask|&gt;</c>.</param>
/// <param name="Special">Whether the token is special (dropped when decoding with special tokens skipped).</param>
public sealed record AddedTokenInfo(int Id, string Content, bool Special);
