using System.Text;
using Dllm.Tokenization;

namespace Dllm.Tests.Tokenization;

public class StreamingDetokenizerTests
{
    private static LladaTokenizer Tokenizer => SyntheticTokenizers.Realistic;

    private static List<string> StreamOneAtATime(StreamingDetokenizer detokenizer, IEnumerable<int> ids)
    {
        var outputs = ids.Select(detokenizer.Append).ToList();
        outputs.Add(detokenizer.Flush());
        return outputs;
    }

    [Theory]
    [InlineData("长城是中国古代的军事防御工程。")]
    [InlineData("emoji 😀👍🏽 and 🇫🇷 naïve café")]
    [InlineData("mixed 中文 text, 😀 and digits 123")]
    public void NeverEmitsAReplacementCharacterForASplitCharacter(string text)
    {
        int[] ids = Tokenizer.Encode(text);
        Assert.True(ids.Length > text.Count(c => !char.IsLowSurrogate(c)) / 2, "the text should split characters across ids");
        List<string> outputs = StreamOneAtATime(Tokenizer.CreateStreamingDetokenizer(), ids);
        Assert.All(outputs, piece => Assert.DoesNotContain('\uFFFD', piece));
        Assert.Equal(text, string.Concat(outputs));
    }

    [Fact]
    public void HoldsBackAnUnfinishedCharacterUntilItsLastByte()
    {
        int[] ids = Tokenizer.Encode("😀");
        Assert.True(ids.Length > 1);
        var detokenizer = new StreamingDetokenizer(Tokenizer);
        foreach (int id in ids[..^1])
        {
            Assert.Equal("", detokenizer.Append(id));
        }
        Assert.Equal("😀", detokenizer.Append(ids[^1]));
        Assert.Equal("", detokenizer.Flush());
    }

    [Fact]
    public void FlushTurnsAnUnfinishedCharacterIntoAReplacementCharacter()
    {
        int[] ids = Tokenizer.Encode("a😀");
        var detokenizer = new StreamingDetokenizer(Tokenizer);
        Assert.Equal("a", detokenizer.Append(ids[..^1]));
        Assert.Equal("\uFFFD", detokenizer.Flush());
        Assert.Equal("a\uFFFD", Tokenizer.Decode(ids[..^1]));
    }

    [Fact]
    public void ConcatenationEqualsFullDecodeForRandomIdsInRandomBlocks()
    {
        var random = new Random(1234);
        for (int trial = 0; trial < 300; trial++)
        {
            // Mostly byte-like GPT-2 tokens, sometimes added tokens or unused ids: whatever a model may emit.
            int[] ids = [.. Enumerable.Range(0, 48).Select(_ => random.Next(4) switch
            {
                0 => random.Next(256),
                1 => random.Next(156880, 157184),
                _ => random.Next(50256),
            })];
            bool skip = trial % 2 == 0;
            var detokenizer = new StreamingDetokenizer(Tokenizer, skip);
            var text = new StringBuilder();
            for (int start = 0; start < ids.Length;)
            {
                int length = Math.Min(random.Next(1, 9), ids.Length - start);
                text.Append(detokenizer.Append(ids.AsSpan(start, length).ToArray()));
                start += length;
            }
            text.Append(detokenizer.Flush());
            Assert.Equal(Tokenizer.Decode(ids, skip), text.ToString());
        }
    }

    [Fact]
    public void SkipsSpecialTokensWhenAsked()
    {
        int[] ids = Tokenizer.Encode("Hi<|role_end|><|endoftext|>");
        var detokenizer = Tokenizer.CreateStreamingDetokenizer(skipSpecialTokens: true);
        Assert.Equal("Hi", string.Concat(StreamOneAtATime(detokenizer, ids)));
        Assert.Equal("Hi<|role_end|><|endoftext|>", string.Concat(StreamOneAtATime(new StreamingDetokenizer(Tokenizer), ids)));
    }

    [Fact]
    public void CanBeReusedAfterFlush()
    {
        var detokenizer = new StreamingDetokenizer(Tokenizer);
        Assert.Equal("Hello", detokenizer.Append(Tokenizer.Encode("Hello")));
        Assert.Equal("", detokenizer.Flush());
        Assert.Equal(" world", detokenizer.Append(Tokenizer.Encode(" world")));
    }
}
