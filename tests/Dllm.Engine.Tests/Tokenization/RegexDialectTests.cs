using System.Text.RegularExpressions;
using Dllm.Tokenization;

namespace Dllm.Tests.Tokenization;

public class RegexDialectTests
{
    [Theory]
    [InlineData(@"a?+b", @"(?>a?)b")]
    [InlineData(@"a++b", @"(?>a+)b")]
    [InlineData(@"a*+b", @"(?>a*)b")]
    [InlineData(@"a{2,3}+", @"(?>a{2,3})")]
    [InlineData(@"[^\s\p{L}]++", @"(?>[^\s\p{L}]+)")]
    [InlineData(@"\p{N}?+x", @"(?>\p{N}?)x")]
    [InlineData(@"(ab)++", @"(?>(ab)+)")]
    [InlineData(@"(?i:[sdmt]|ll)", @"(?i:[sdmt]|ll)")]
    [InlineData(@"(?:x++|y)", @"(?:(?>x+)|y)")]
    [InlineData(@"a+?b*c?", @"a+?b*c?")]
    [InlineData(@"[+?]+", @"[+?]+")]
    [InlineData(@"\++", @"\++")]
    [InlineData(@"\s+(?!\S)", @"\s+(?!\S)")]
    public void TurnsPossessiveQuantifiersIntoAtomicGroups(string hf, string dotNet)
    {
        Assert.Equal(dotNet, RegexDialect.ToDotNet(hf));
    }

    [Theory]
    [InlineData("Hello world", new[] { "Hello", " world" })]
    [InlineData("abc 123", new[] { "abc", " ", "1", "2", "3" })]
    [InlineData("don't", new[] { "don", "'t" })]
    [InlineData("(x) => y!!\n", new[] { "(x", ")", " =>", " y", "!!\n" })]
    [InlineData("a\n\n  b", new[] { "a", "\n\n", " ", " b" })]
    public void TheTranslatedLladaPatternSplitsAsTheSpecSays(string text, string[] pieces)
    {
        var regex = new Regex(RegexDialect.ToDotNet(LladaTokens.PreTokenizerPattern));
        Assert.Equal(pieces, regex.Matches(text).Select(m => m.Value));
    }
}
