using System.Text.Json;
using Dllm.Tests.Infrastructure;
using Dllm.Tokenization;

namespace Dllm.Tests.Tokenization;

public class SyntheticTokenizerJsonTests
{
    [Fact]
    public void RealisticLayoutPutsSpecialTokensAtTheRealIds()
    {
        SyntheticTokenizerInfo info = SyntheticTokenizerJson.Describe(SyntheticTokenizerLayout.Realistic);
        Assert.Equal(156891, info.StartOfTextTokenId);
        Assert.Equal(156892, info.EosTokenId);
        Assert.Equal(156895, info.MaskTokenId);
        Assert.Equal(156900, info.RoleEndTokenId);
        Assert.Equal(262, info.AddedTokens.Count);
        Assert.Equal(156891, info.AddedTokens[0].Id);
        Assert.Equal(157152, info.AddedTokens[^1].Id);
        Assert.Equal(157153, info.TokenizerVocabularySize);
        Assert.Equal(157184, info.ModelVocabularySize);
        string[] contents = [.. info.AddedTokens.Select(t => t.Content)];
        Assert.Equal(contents.Length, contents.Distinct().Count());
        Assert.Subset(contents.ToHashSet(), new HashSet<string>
        {
            "<role>", "</role>", "<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>",
        });
    }

    [Fact]
    public void CompactLayoutPutsTheSameTokensRightAfterGpt2()
    {
        SyntheticTokenizerInfo compact = SyntheticTokenizerJson.Describe(SyntheticTokenizerLayout.Compact);
        SyntheticTokenizerInfo realistic = SyntheticTokenizerJson.Describe(SyntheticTokenizerLayout.Realistic);
        Assert.Equal(50256, compact.StartOfTextTokenId);
        Assert.Equal(50257, compact.EosTokenId);
        Assert.Equal(50260, compact.MaskTokenId);
        Assert.Equal(50265, compact.RoleEndTokenId);
        Assert.Equal(compact.TokenizerVocabularySize, compact.ModelVocabularySize);
        Assert.Equal(compact.AddedTokens.Select(t => t.Content), realistic.AddedTokens.Take(compact.AddedTokens.Count).Select(t => t.Content));
    }

    [Fact]
    public void EveryCompactIdDecodesToText()
    {
        LladaTokenizer tokenizer = SyntheticTokenizers.Compact;
        SyntheticTokenizerInfo info = SyntheticTokenizerJson.Describe(SyntheticTokenizerLayout.Compact);
        Assert.Equal(info.TokenizerVocabularySize, tokenizer.VocabularySize);
        Assert.Equal(info.MaskTokenId, tokenizer.MaskTokenId);
        Assert.Equal(info.EosTokenId, tokenizer.EosTokenId);
        for (int id = 0; id < tokenizer.VocabularySize; id++)
        {
            Assert.NotEqual("", tokenizer.Decode([id]));
        }
    }

    [Fact]
    public void CompactTokenizerEncodesLikeTheRealisticOne()
    {
        const string text = "Hello <|mask|> world 42";
        int[] realistic = SyntheticTokenizers.Realistic.Encode(text);
        int[] compact = SyntheticTokenizers.Compact.Encode(text);
        Assert.Equal(realistic.Select(id => id >= 156891 ? id - 156891 + 50256 : id), compact);
    }

    [Fact]
    public void TokenizerJsonHasTheHuggingFaceShape()
    {
        using JsonDocument document = JsonDocument.Parse(SyntheticTokenizers.RealisticJson);
        JsonElement root = document.RootElement;
        JsonElement steps = root.GetProperty("pre_tokenizer").GetProperty("pretokenizers");
        Assert.Equal("Sequence", root.GetProperty("pre_tokenizer").GetProperty("type").GetString());
        Assert.Equal("Split", steps[0].GetProperty("type").GetString());
        Assert.Equal(LladaTokens.PreTokenizerPattern, steps[0].GetProperty("pattern").GetProperty("Regex").GetString());
        Assert.Equal("ByteLevel", steps[1].GetProperty("type").GetString());
        Assert.False(steps[1].GetProperty("use_regex").GetBoolean());
        Assert.Equal("ByteLevel", root.GetProperty("decoder").GetProperty("type").GetString());

        JsonElement model = root.GetProperty("model");
        Assert.Equal("BPE", model.GetProperty("type").GetString());
        Assert.Equal(50256, model.GetProperty("vocab").EnumerateObject().Count());
        Assert.Equal(15496, model.GetProperty("vocab").GetProperty("Hello").GetInt32());
        Assert.Equal(995, model.GetProperty("vocab").GetProperty("Ġworld").GetInt32());
        Assert.False(model.GetProperty("vocab").TryGetProperty("<|endoftext|>", out _)); // GPT-2's own 50256 is left out
        Assert.Equal(50000, model.GetProperty("merges").GetArrayLength()); // as GPT-2's vocab.bpe
        Assert.Equal("Ġ t", model.GetProperty("merges")[0].GetString());

        JsonElement mask = root.GetProperty("added_tokens").EnumerateArray().Single(t => t.GetProperty("content").GetString() == "<|mask|>");
        Assert.Equal(156895, mask.GetProperty("id").GetInt32());
        Assert.True(mask.GetProperty("special").GetBoolean());
    }

    [Fact]
    public void WritesBothFilesThatLoadBack()
    {
        string dir = TestPaths.NewTempDirectory("tok-synth");
        try
        {
            SyntheticTokenizerInfo info = SyntheticTokenizerJson.WriteTo(dir, SyntheticTokenizerLayout.Compact);
            LladaTokenizer tokenizer = LladaTokenizer.FromFile(Path.Combine(dir, SyntheticTokenizerJson.TokenizerFileName));
            Assert.Equal(info.MaskTokenId, tokenizer.MaskTokenId);
            Assert.Equal(Path.Combine(dir, "tokenizer.json"), tokenizer.Source);

            using JsonDocument config = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, SyntheticTokenizerJson.TokenizerConfigFileName)));
            JsonElement root = config.RootElement;
            Assert.Equal("<|startoftext|>", root.GetProperty("bos_token").GetString());
            Assert.Equal("<|endoftext|>", root.GetProperty("eos_token").GetString());
            Assert.Equal("<|endoftext|>", root.GetProperty("pad_token").GetString());
            Assert.Equal("<|mask|>", root.GetProperty("mask_token").GetString());
            Assert.Equal(32768, root.GetProperty("model_max_length").GetInt32());
            Assert.False(root.GetProperty("add_bos_token").GetBoolean());
            Assert.Equal("<|mask|>", root.GetProperty("added_tokens_decoder").GetProperty("50260").GetProperty("content").GetString());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
