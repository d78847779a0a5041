namespace Dllm.Tokenization;

/// <summary>The LLaDA added tokens of the synthetic tokenizers, in id order.</summary>
internal static class SyntheticAddedTokens
{
    /// <summary>First added-token id of the real LLaDA2 tokenizer (<c>&lt;|startoftext|&gt;</c>).</summary>
    public const int RealisticFirstId = 156891;

    /// <summary>Number of added tokens of the real tokenizer (ids 156891..157152).</summary>
    public const int RealisticCount = 262;

    /// <summary>Embedding rows of the real LLaDA2 models.</summary>
    public const int RealisticModelVocabularySize = 157184;

    // Offsets from the first added id. The four with known real ids sit at them (startoftext +0, endoftext +1,
    // mask +4, role_end +9); the others are plausible. Markers the chat template writes for tools and thinking
    // are not special, so decoding with special tokens skipped keeps them (the tool-call parser needs them).
    private static readonly (string Content, bool Special)[] Named =
    [
        (LladaTokens.StartOfText, true),
        (LladaTokens.EndOfText, true),
        ("<|arithmetic_start|>", true),
        ("<|arithmetic_end|>", true),
        (LladaTokens.Mask, true),
        ("<|number_start|>", true),
        ("<|number_end|>", true),
        (LladaTokens.RoleOpen, true),
        (LladaTokens.RoleClose, true),
        (LladaTokens.RoleEnd, true),
        (LladaTokens.ToolCallOpen, false),
        (LladaTokens.ToolCallClose, false),
        (LladaTokens.ToolResponseOpen, false),
        (LladaTokens.ToolResponseClose, false),
        ("<tools>", false),
        ("</tools>", false),
        ("<think>", false),
        ("</think>", false),
    ];

    /// <summary>The added tokens of <paramref name="layout"/>; <paramref name="baseVocabularySize"/> is where compact ids start.</summary>
    public static IReadOnlyList<AddedTokenInfo> For(SyntheticTokenizerLayout layout, int baseVocabularySize)
    {
        int first = layout == SyntheticTokenizerLayout.Realistic ? RealisticFirstId : baseVocabularySize;
        var tokens = Named.Select((t, i) => new AddedTokenInfo(first + i, t.Content, t.Special)).ToList();
        if (layout == SyntheticTokenizerLayout.Realistic)
        {
            for (int i = Named.Length; i < RealisticCount; i++)
            {
                tokens.Add(new AddedTokenInfo(first + i, $"<|reserved_token_{i - Named.Length}|>", true));
            }
        }
        return tokens;
    }
}
