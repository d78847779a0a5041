using Dllm.Tokenization;

namespace Dllm.Tests.Tokenization;

public class LladaTokenizerTests
{
    private static LladaTokenizer Tokenizer => SyntheticTokenizers.Realistic;

    [Theory]
    [InlineData("Hello world")]
    [InlineData("The quick brown fox jumps over the lazy dog.")]
    [InlineData("  leading spaces, trailing spaces   ")]
    [InlineData("line one\nline two\r\n\n\ttabbed")]
    [InlineData("public static int Add(int a, int b) => a + b; // sum\n")]
    [InlineData("def f(x):\n    return {'k': [x, x ** 2]}\n")]
    [InlineData("Version 3.14159 released on 2025-01-31 at 12:00")]
    [InlineData("长城是中国古代的军事防御工程。")]
    [InlineData("emoji 😀👍🏽 and flags 🇫🇷, naïve café")]
    [InlineData("")]
    public void RoundTripsText(string text)
    {
        int[] ids = Tokenizer.Encode(text);
        Assert.Equal(text, Tokenizer.Decode(ids));
    }

    [Fact]
    public void EncodesHelloWorldAsGpt2Does()
    {
        Assert.Equal([15496, 995], Tokenizer.Encode("Hello world"));
    }

    [Theory]
    [InlineData("Hello world")]
    [InlineData("The quick brown fox jumps over the lazy dog.")]
    [InlineData("I'm sure they'll say we've done it, aren't you?")]
    [InlineData("naïve café 中文字符 😀👍🏽")]
    [InlineData("def foo(x):\n    return x*y\n")]
    [InlineData("Transformers, diffusion models and tokenizers!")]
    public void MatchesGpt2OnTextWithoutDigits(string text)
    {
        Assert.Equal(SyntheticTokenizers.Gpt2.EncodeToIds(text), Tokenizer.Encode(text));
    }

    [Fact]
    public void DecodesLikeGpt2()
    {
        var random = new Random(7);
        for (int i = 0; i < 200; i++)
        {
            int[] ids = [.. Enumerable.Range(0, 16).Select(_ => random.Next(50256))];
            Assert.Equal(SyntheticTokenizers.Gpt2.Decode(ids), Tokenizer.Decode(ids));
        }
    }

    [Fact]
    public void SplitsDigitsOneAtATime()
    {
        int[] ids = Tokenizer.Encode("12345");
        Assert.Equal(5, ids.Length);
        Assert.Equal(["1", "2", "3", "4", "5"], ids.Select(id => Tokenizer.Decode([id])));
        Assert.Equal([16, 17, 18, 19, 20], ids); // GPT-2 ids of the single digits
    }

    [Theory]
    [InlineData(LladaTokens.Mask, 156895)]
    [InlineData(LladaTokens.EndOfText, 156892)]
    [InlineData(LladaTokens.StartOfText, 156891)]
    [InlineData(LladaTokens.RoleEnd, 156900)]
    public void EncodesSpecialTokensInTextAsOneId(string token, int id)
    {
        Assert.Equal([id], Tokenizer.Encode(token));
        int[] ids = Tokenizer.Encode($"a{token}b");
        Assert.Equal(3, ids.Length);
        Assert.Equal(id, ids[1]);
    }

    [Fact]
    public void EncodesEveryAddedTokenAsOneId()
    {
        foreach (AddedTokenInfo token in Tokenizer.AddedTokens)
        {
            Assert.Equal([token.Id], Tokenizer.Encode(token.Content));
        }
    }

    [Fact]
    public void EncodesAChatPromptWithRoleMarkersAsSingleIds()
    {
        Assert.True(Tokenizer.TryGetTokenId(LladaTokens.RoleOpen, out int roleOpen));
        Assert.True(Tokenizer.TryGetTokenId(LladaTokens.RoleClose, out int roleClose));
        int[] ids = Tokenizer.Encode("<role>HUMAN</role> Hi<|role_end|>");
        Assert.Equal(roleOpen, ids[0]);
        Assert.Equal(roleClose, ids[^3]);
        Assert.Equal(Tokenizer.RoleEndTokenId, ids[^1]);
        Assert.Equal(Tokenizer.Encode(" Hi"), ids[^2..^1]);
    }

    [Theory]
    [InlineData("Hello world")]
    [InlineData("  leading spaces, trailing spaces   ")]
    [InlineData("line one\nline two\r\n\n\ttabbed")]
    [InlineData("Version 3.14159 released on 2025-01-31 at 12:00")]
    [InlineData("长城是中国古代的军事防御工程。 emoji 😀👍🏽, naïve café")]
    [InlineData("")]
    public void EncodesTextWithoutAddedTokensAsEncodeDoes(string text)
    {
        Assert.Equal(Tokenizer.Encode(text), Tokenizer.EncodeText(text));
    }

    [Fact]
    public void EncodesEveryAddedTokenWrittenInTextAsItsCharacters()
    {
        var added = Tokenizer.AddedTokens.Select(t => t.Id).ToHashSet();
        foreach (AddedTokenInfo token in Tokenizer.AddedTokens)
        {
            int[] ids = Tokenizer.EncodeText($"a{token.Content}b");
            Assert.DoesNotContain(ids, added.Contains);
            Assert.Equal($"a{token.Content}b", Tokenizer.Decode(ids));
            Assert.True(ids.Length > 3, token.Content);
        }
    }

    [Fact]
    public void EncodesSegmentsWithAddedTokensOnlyInTemplateText()
    {
        int[] ids = Tokenizer.Encode([PromptSegment.Template("<role>HUMAN</role>"), PromptSegment.Content(" Hi<|role_end|>"), PromptSegment.Template(" there<|role_end|>")]);

        Assert.True(Tokenizer.TryGetTokenId(LladaTokens.RoleOpen, out int roleOpen));
        Assert.True(Tokenizer.TryGetTokenId(LladaTokens.RoleClose, out int roleClose));
        Assert.Equal([roleOpen, .. Tokenizer.EncodeText("HUMAN"), roleClose, .. Tokenizer.EncodeText(" Hi<|role_end|> there"), Tokenizer.RoleEndTokenId], ids);
    }

    [Fact]
    public void LooksUpSpecialIdsFromAddedTokens()
    {
        Assert.Equal(156892, Tokenizer.EosTokenId);
        Assert.Equal(156895, Tokenizer.MaskTokenId);
        Assert.Equal(156900, Tokenizer.RoleEndTokenId);
        Assert.Equal(157153, Tokenizer.VocabularySize);
        Assert.False(Tokenizer.TryGetTokenId("hello", out _));
    }

    [Fact]
    public void DecodesWithAndWithoutSpecialTokens()
    {
        int[] ids = Tokenizer.Encode("<role>ASSISTANT</role>Hi<tool_call>x</tool_call><|role_end|><|endoftext|>");
        Assert.Equal("<role>ASSISTANT</role>Hi<tool_call>x</tool_call><|role_end|><|endoftext|>", Tokenizer.Decode(ids));
        Assert.Equal("ASSISTANTHi<tool_call>x</tool_call>", Tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void ToolMarkersAreAddedButNotSpecial()
    {
        Assert.True(Tokenizer.TryGetTokenId(LladaTokens.ToolCallOpen, out int toolCall));
        Assert.False(Tokenizer.IsSpecial(toolCall));
        Assert.True(Tokenizer.IsSpecial(Tokenizer.MaskTokenId));
        Assert.False(Tokenizer.IsSpecial(15496));
    }

    [Fact]
    public void UnknownIdsDecodeToNothing()
    {
        Assert.Equal("Hello world", Tokenizer.Decode([15496, 100000, 995, -1, 1_000_000]));
    }

    [Fact]
    public void UsesThePreTokenizerOfTheFileTranslatedForDotNet()
    {
        Assert.Equal(
            @"'(?i:[sdmt]|ll|ve|re)|(?>[^\r\n\p{L}\p{N}]?)\p{L}+|\p{N}| ?(?>[^\s\p{L}\p{N}]+)[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+",
            Tokenizer.PreTokenizerPattern);
    }
}
