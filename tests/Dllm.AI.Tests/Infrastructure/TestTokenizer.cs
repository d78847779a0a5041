using Dllm.Testing;
using Dllm.Tokenization;

namespace Dllm.AI.Tests.Infrastructure;

/// <summary>The tiny models' real tokenizer (a small GPT-2-based vocabulary with the LLaDA added tokens).</summary>
public static class TestTokenizer
{
    private static readonly Lazy<LladaTokenizer> Shared = new(() => LladaTokenizer.FromFile(Path.Combine(TinyModels.Random, "tokenizer.json")));

    public static LladaTokenizer Instance => Shared.Value;
}
