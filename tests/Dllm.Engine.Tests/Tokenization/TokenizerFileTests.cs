using System.Text.Json.Nodes;
using Dllm.Tests.Infrastructure;
using Dllm.Tokenization;

namespace Dllm.Tests.Tokenization;

public class TokenizerFileTests
{
    private const string Source = "mini/tokenizer.json";

    private static LladaTokenizer Load(JsonObject json) => LladaTokenizer.FromJson(json.ToJsonString(), Source);

    private static string LoadError(JsonObject json) => Assert.Throws<TokenizerException>(() => Load(json)).Message;

    [Fact]
    public void ReadsAMinimalByteLevelBpe()
    {
        LladaTokenizer tokenizer = Load(MiniTokenizerJson.Create());
        Assert.Equal([3, 4, 11, 4], tokenizer.Encode("hi hi<|mask|> hi"));
        Assert.Equal("hi hi<|mask|> hi", tokenizer.Decode([3, 4, 11, 4]));
        Assert.Equal(13, tokenizer.VocabularySize);
        Assert.Equal(10, tokenizer.EosTokenId);
    }

    [Fact]
    public void ReadsMergesWrittenAsPairs()
    {
        JsonObject json = MiniTokenizerJson.Create();
        json["model"]!["merges"] = new JsonArray { new JsonArray("h", "i"), new JsonArray("Ġ", "hi") };
        Assert.Equal([3, 4], Load(json).Encode("hi hi"));
    }

    [Fact]
    public void ReadsALoneByteLevelPreTokenizerWithTheGpt2Regex()
    {
        JsonObject json = MiniTokenizerJson.Create();
        json["pre_tokenizer"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["use_regex"] = true };
        LladaTokenizer tokenizer = Load(json);
        Assert.Equal([3, 4], tokenizer.Encode("hi hi"));
        Assert.Contains(@"?\p{L}+", tokenizer.PreTokenizerPattern, StringComparison.Ordinal);
    }

    [Fact]
    public void AppliesAUnicodeNormalizer()
    {
        JsonObject json = MiniTokenizerJson.Create();
        json["normalizer"] = new JsonObject { ["type"] = "NFKC" };
        Assert.Equal([3], Load(json).Encode("ｈｉ")); // full-width letters fold to "hi"
    }

    [Fact]
    public void ReportsAMissingFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"no-such-dir-{Guid.NewGuid():N}", "tokenizer.json");
        var error = Assert.Throws<TokenizerException>(() => LladaTokenizer.FromFile(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("not found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReportsInvalidJsonWithTheFileName()
    {
        string dir = TestPaths.NewTempDirectory("tok-bad-json");
        try
        {
            string path = Path.Combine(dir, "tokenizer.json");
            File.WriteAllText(path, "{ \"model\": { \"type\": \"BPE\", ");
            var error = Assert.Throws<TokenizerException>(() => LladaTokenizer.FromFile(path));
            Assert.StartsWith(path, error.Message, StringComparison.Ordinal);
            Assert.Contains("not valid JSON", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void ReportsAModelThatIsNotBpe()
    {
        JsonObject json = MiniTokenizerJson.Create();
        json["model"]!["type"] = "Unigram";
        string message = LoadError(json);
        Assert.StartsWith(Source, message, StringComparison.Ordinal);
        Assert.Contains("model type 'Unigram' is not supported", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<|endoftext|>")]
    [InlineData("<|mask|>")]
    [InlineData("<|role_end|>")]
    public void ReportsAMissingSpecialToken(string content)
    {
        JsonObject json = MiniTokenizerJson.Create();
        var added = new JsonArray();
        foreach (JsonNode? token in MiniTokenizerJson.AddedTokens().Where(t => (string)t!["content"]! != content))
        {
            added.Add(token!.DeepClone());
        }
        json["added_tokens"] = added;
        string message = LoadError(json);
        Assert.StartsWith(Source, message, StringComparison.Ordinal);
        Assert.Contains($"'{content}' is missing from added_tokens", message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReportsAMissingVocabulary()
    {
        JsonObject json = MiniTokenizerJson.Create();
        json["model"]!.AsObject().Remove("vocab");
        Assert.Contains("'model.vocab' is missing", LoadError(json), StringComparison.Ordinal);
    }

    [Fact]
    public void ReportsAMergeOfUnknownTokens()
    {
        JsonObject json = MiniTokenizerJson.Create();
        json["model"]!["merges"] = new JsonArray { "h i", "x y" };
        Assert.Contains("cannot build the BPE tokenizer", LoadError(json), StringComparison.Ordinal);
    }

    [Fact]
    public void ReportsAPreTokenizerWithoutByteLevel()
    {
        JsonObject json = MiniTokenizerJson.Create();
        json["pre_tokenizer"] = new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = "\\s+" } };
        Assert.Contains("no ByteLevel step", LoadError(json), StringComparison.Ordinal);
    }

    [Fact]
    public void ReportsAnUnsupportedPreTokenizer()
    {
        JsonObject json = MiniTokenizerJson.Create();
        json["pre_tokenizer"] = new JsonObject { ["type"] = "Metaspace" };
        Assert.Contains("pre-tokenizer type 'Metaspace'", LoadError(json), StringComparison.Ordinal);
    }
}
