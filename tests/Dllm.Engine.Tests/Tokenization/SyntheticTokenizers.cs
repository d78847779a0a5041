using Dllm.Tokenization;
using Microsoft.ML.Tokenizers;

namespace Dllm.Tests.Tokenization;

/// <summary>Tokenizers built once per test run (building one takes a few hundred milliseconds).</summary>
internal static class SyntheticTokenizers
{
    private static readonly Lazy<string> RealisticJsonLazy = new(() => SyntheticTokenizerJson.CreateTokenizerJson(SyntheticTokenizerLayout.Realistic));
    private static readonly Lazy<LladaTokenizer> RealisticLazy = new(() => LladaTokenizer.FromJson(RealisticJson, "synthetic realistic tokenizer.json"));
    private static readonly Lazy<LladaTokenizer> CompactLazy = new(() =>
        LladaTokenizer.FromJson(SyntheticTokenizerJson.CreateTokenizerJson(SyntheticTokenizerLayout.Compact), "synthetic compact tokenizer.json"));
    private static readonly Lazy<TiktokenTokenizer> Gpt2Lazy = new(() => TiktokenTokenizer.CreateForModel("gpt2"));

    /// <summary>The text of the realistic synthetic tokenizer.json.</summary>
    public static string RealisticJson => RealisticJsonLazy.Value;

    /// <summary>The tokenizer with LLaDA special tokens at their real ids.</summary>
    public static LladaTokenizer Realistic => RealisticLazy.Value;

    /// <summary>The tokenizer with LLaDA special tokens right after the GPT-2 vocabulary.</summary>
    public static LladaTokenizer Compact => CompactLazy.Value;

    /// <summary>Microsoft.ML.Tokenizers' own GPT-2 tokenizer: an independent oracle for text without digits.</summary>
    public static TiktokenTokenizer Gpt2 => Gpt2Lazy.Value;
}
