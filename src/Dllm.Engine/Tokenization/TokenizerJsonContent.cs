using System.Text;

namespace Dllm.Tokenization;

/// <summary>What the engine uses from a Hugging Face tokenizer.json.</summary>
/// <param name="Vocabulary">The BPE model's vocabulary (byte-level spelling to id).</param>
/// <param name="Merges">The merges as <c>"left right"</c>, highest priority first.</param>
/// <param name="AddedTokens">Every <c>added_tokens</c> entry.</param>
/// <param name="SplitPattern">The pre-tokenizer split regex as the file writes it (Hugging Face dialect).</param>
/// <param name="Normalization">Unicode normalizations the file's normalizer applies, in order (usually none).</param>
internal sealed record TokenizerJsonContent(
    Dictionary<string, int> Vocabulary,
    List<string> Merges,
    List<AddedTokenInfo> AddedTokens,
    string SplitPattern,
    IReadOnlyList<NormalizationForm> Normalization);
