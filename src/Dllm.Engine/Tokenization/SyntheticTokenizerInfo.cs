namespace Dllm.Tokenization;

/// <summary>What a synthetic tokenizer holds: sizes and the ids of the LLaDA special tokens.</summary>
/// <param name="Layout">Where the added tokens are.</param>
/// <param name="TokenizerVocabularySize">Largest token id plus one.</param>
/// <param name="ModelVocabularySize">The embedding size a model for this tokenizer should have (157184 for the realistic layout, the tokenizer size for the compact one).</param>
/// <param name="AddedTokens">The added tokens, by id.</param>
/// <param name="StartOfTextTokenId">Id of <c>&lt;|startoftext|&gt;</c> (bos_token).</param>
/// <param name="EosTokenId">Id of <c>&lt;|endoftext|&gt;</c> (eos_token and pad_token).</param>
/// <param name="MaskTokenId">Id of <c>&lt;|mask|&gt;</c>.</param>
/// <param name="RoleEndTokenId">Id of <c>&lt;|role_end|&gt;</c>.</param>
public sealed record SyntheticTokenizerInfo(
    SyntheticTokenizerLayout Layout,
    int TokenizerVocabularySize,
    int ModelVocabularySize,
    IReadOnlyList<AddedTokenInfo> AddedTokens,
    int StartOfTextTokenId,
    int EosTokenId,
    int MaskTokenId,
    int RoleEndTokenId);
