using Dllm.Tokenization;

namespace Dllm.Training.Tokenizer;

/// <summary>A trained byte-level BPE model: token spellings by id (the 256 bytes first), merges in priority order, and
/// the pre-tokenizer split it was trained with (written into its <c>tokenizer.json</c>, so the engine splits text the
/// same way).</summary>
/// <param name="Tokens">Byte-level spelling of each token; id = index.</param>
/// <param name="Merges">The merges as <c>"left right"</c>, highest priority first; merge i builds token 256 + i.</param>
/// <param name="PreTokenizerPattern">The split regex (Hugging Face dialect); LLaDA2's, digits one at a time, unless
/// <see cref="DemoPreTokenizer"/> says otherwise.</param>
public sealed record BpeVocabulary(IReadOnlyList<string> Tokens, IReadOnlyList<string> Merges, string PreTokenizerPattern = LladaTokens.PreTokenizerPattern);
