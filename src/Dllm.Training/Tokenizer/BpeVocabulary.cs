namespace Dllm.Training.Tokenizer;

/// <summary>A trained byte-level BPE model: token spellings by id (the 256 bytes first) and merges in priority order.</summary>
/// <param name="Tokens">Byte-level spelling of each token; id = index.</param>
/// <param name="Merges">The merges as <c>"left right"</c>, highest priority first; merge i builds token 256 + i.</param>
public sealed record BpeVocabulary(IReadOnlyList<string> Tokens, IReadOnlyList<string> Merges);
