using Dllm.Tokenization;

namespace Dllm.Training.Tokenizer;

/// <summary>The LLaDA added tokens of the demo tokenizer (the engine's list, ids right after the BPE vocabulary).</summary>
internal static class SpecialTokens
{
    /// <summary>The added tokens for a BPE vocabulary of <paramref name="vocabularySize"/> tokens.</summary>
    public static IReadOnlyList<AddedTokenInfo> For(int vocabularySize) => SyntheticAddedTokens.For(SyntheticTokenizerLayout.Compact, vocabularySize);

    /// <summary>The text of every added token.</summary>
    public static IReadOnlyList<string> All { get; } = [.. For(0).Select(t => t.Content)];
}
