using Dllm.Tokenization;
using Dllm.Training.Data;
using Dllm.Training.Tokenizer;

namespace Dllm.Training.Tests;

public sealed class TokenizerTests
{
    private static readonly IReadOnlyList<DemoExample> Corpus = DemoCorpus.Generate(300, seed: 9, DemoSplit.Train);

    private static LladaTokenizer Train(string directory, int merges = 400)
    {
        var vocabulary = BpeTrainer.Train(Corpus.Select(e => e.Prompt.Text + e.Response), merges);
        return DemoTokenizerFiles.Write(directory, vocabulary);
    }

    [Fact]
    public void Trained_tokenizer_round_trips_the_corpus_and_held_out_text()
    {
        using var dir = new TempDirectory();
        var tokenizer = Train(dir.Path);
        foreach (var example in Corpus.Concat(DemoCorpus.Generate(50, seed: 2, DemoSplit.HeldOut)))
        {
            string text = example.Prompt.Text + example.Response;
            Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
            Assert.Equal(tokenizer.Encode(text), example.Prompt.Encode(tokenizer).Concat(tokenizer.Encode(example.Response)));
        }
        Assert.Equal("héllo ✓", tokenizer.Decode(tokenizer.Encode("héllo ✓"))); // bytes never seen still encode
    }

    [Fact]
    public void Special_tokens_are_one_id_each_after_the_vocabulary_and_come_from_the_files()
    {
        using var dir = new TempDirectory();
        var tokenizer = Train(dir.Path, merges: 300);
        string[] specials = [LladaTokens.EndOfText, LladaTokens.Mask, LladaTokens.RoleEnd, LladaTokens.RoleOpen, LladaTokens.RoleClose,
            LladaTokens.ToolCallOpen, LladaTokens.ToolCallClose, LladaTokens.ToolResponseOpen, LladaTokens.ToolResponseClose, LladaTokens.StartOfText];
        foreach (string special in specials)
        {
            var ids = tokenizer.Encode(special);
            Assert.Single(ids);
            Assert.True(ids[0] >= 256 + 300 - 1, $"{special} has id {ids[0]}");
        }
        Assert.NotEqual(156895, tokenizer.MaskTokenId);
        Assert.Equal(tokenizer.Encode(LladaTokens.Mask)[0], tokenizer.MaskTokenId);
        Assert.True(tokenizer.VocabularySize < 700);
        Assert.True(File.Exists(Path.Combine(dir.Path, "tokenizer_config.json")));
    }

    [Fact]
    public void Merges_shorten_the_corpus_and_stop_at_the_limit()
    {
        var texts = Corpus.Select(e => e.Response).ToList();
        var none = BpeTrainer.Train(texts, 0);
        var some = BpeTrainer.Train(texts, 200);
        Assert.Equal(256, none.Tokens.Count);
        Assert.Equal(456, some.Tokens.Count);
        Assert.Equal(200, some.Merges.Count);
        Assert.Equal(some.Merges, BpeTrainer.Train(texts, 200).Merges);
    }

    [Fact]
    public void Three_digit_number_pieces_give_frequent_numbers_one_id_and_travel_in_tokenizer_json()
    {
        using var dir = new TempDirectory();
        string pattern = DemoPreTokenizer.Pattern(3);
        var vocabulary = BpeTrainer.Train(Corpus.Select(e => e.Prompt.Text + e.Response), 600, preTokenizerPattern: pattern);
        var tokenizer = DemoTokenizerFiles.Write(dir.Path, vocabulary);
        Assert.Contains(@"\\p{N}{1,3}", File.ReadAllText(Path.Combine(dir.Path, "tokenizer.json")), StringComparison.Ordinal);
        Assert.Contains(@"\p{N}{1,3}", tokenizer.PreTokenizerPattern, StringComparison.Ordinal);
        Assert.Single(tokenizer.Encode("73"));
        Assert.Equal(4, tokenizer.Encode("1, 73").Length); // "1" "," " " "73": the comma and the space are pieces of their own
        Assert.Equal("1234 5, 6", tokenizer.Decode(tokenizer.Encode("1234 5, 6")));
        Assert.True(tokenizer.Encode("1234").Length >= 2, "a piece has at most 3 digits");

        var digits = DemoTokenizerFiles.Write(Path.Combine(dir.Path, "digits"), BpeTrainer.Train(Corpus.Select(e => e.Prompt.Text + e.Response), 600));
        Assert.Equal(2, digits.Encode("73").Length); // LLaDA2's split: every digit apart
        Assert.Equal(LladaTokens.PreTokenizerPattern, DemoPreTokenizer.Pattern(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => DemoPreTokenizer.Pattern(4));
    }
}
