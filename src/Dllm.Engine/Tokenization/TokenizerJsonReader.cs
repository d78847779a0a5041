using System.Text;
using System.Text.Json;

namespace Dllm.Tokenization;

/// <summary>Reads the parts of a Hugging Face tokenizer.json that a byte-level BPE tokenizer needs, with errors that name the file and the problem.</summary>
internal static class TokenizerJsonReader
{
    /// <summary>Parses <paramref name="json"/>; <paramref name="source"/> names the file in error messages.</summary>
    /// <exception cref="TokenizerException">Invalid JSON, an unsupported tokenizer, or a malformed section.</exception>
    public static TokenizerJsonContent Read(string json, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new TokenizerException($"{source}: not valid JSON ({e.Message})", e);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new TokenizerException($"{source}: the top level is not a JSON object.");
            }
            JsonElement model = Required(root, "model", JsonValueKind.Object, source, "");
            CheckModelType(model, source);
            return new TokenizerJsonContent(
                ReadVocabulary(model, source),
                ReadMerges(model, source),
                ReadAddedTokens(root, source),
                PreTokenizerSection.SplitPattern(root, source),
                NormalizerSection.Forms(root, source));
        }
    }

    /// <summary>A property of the expected kind, or a <see cref="TokenizerException"/> naming it.</summary>
    internal static JsonElement Required(JsonElement parent, string name, JsonValueKind kind, string source, string path)
    {
        string where = path.Length == 0 ? name : $"{path}.{name}";
        if (!parent.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            throw new TokenizerException($"{source}: '{where}' is missing.");
        }
        if (value.ValueKind != kind)
        {
            throw new TokenizerException($"{source}: '{where}' should be {Describe(kind)} but is {Describe(value.ValueKind)}.");
        }
        return value;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    private static void CheckModelType(JsonElement model, string source)
    {
        string type = model.TryGetProperty("type", out JsonElement t) && t.ValueKind == JsonValueKind.String
            ? t.GetString()!
            : model.TryGetProperty("merges", out _) ? "BPE" : "(none)";
        if (type != "BPE")
        {
            throw new TokenizerException($"{source}: model type '{type}' is not supported; only byte-level BPE tokenizers are.");
        }
    }

    private static Dictionary<string, int> ReadVocabulary(JsonElement model, string source)
    {
        JsonElement vocab = Required(model, "vocab", JsonValueKind.Object, source, "model");
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (JsonProperty entry in vocab.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
            {
                throw new TokenizerException($"{source}: model.vocab entry '{entry.Name}' has no valid id.");
            }
            result[entry.Name] = id;
        }
        return result;
    }

    /// <summary>Merges in either form tokenizers writes: <c>"a b"</c> strings or <c>["a", "b"]</c> pairs.</summary>
    private static List<string> ReadMerges(JsonElement model, string source)
    {
        JsonElement merges = Required(model, "merges", JsonValueKind.Array, source, "model");
        var result = new List<string>(merges.GetArrayLength());
        int index = 0;
        foreach (JsonElement merge in merges.EnumerateArray())
        {
            string? text = merge.ValueKind switch
            {
                JsonValueKind.String => merge.GetString(),
                JsonValueKind.Array when merge.GetArrayLength() == 2
                    && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String
                    => $"{merge[0].GetString()} {merge[1].GetString()}",
                _ => null,
            };
            if (text is null || text.Split(' ').Length != 2)
            {
                throw new TokenizerException($"{source}: model.merges[{index}] is not a pair of tokens.");
            }
            result.Add(text);
            index++;
        }
        return result;
    }

    private static List<AddedTokenInfo> ReadAddedTokens(JsonElement root, string source)
    {
        var result = new List<AddedTokenInfo>();
        if (!root.TryGetProperty("added_tokens", out JsonElement added) || added.ValueKind == JsonValueKind.Null)
        {
            return result;
        }
        if (added.ValueKind != JsonValueKind.Array)
        {
            throw new TokenizerException($"{source}: 'added_tokens' should be an array.");
        }
        int index = 0;
        foreach (JsonElement token in added.EnumerateArray())
        {
            string path = $"added_tokens[{index++}]";
            int id = Required(token, "id", JsonValueKind.Number, source, path).GetInt32();
            string content = Required(token, "content", JsonValueKind.String, source, path).GetString()!;
            bool special = token.TryGetProperty("special", out JsonElement s) && s.ValueKind == JsonValueKind.True;
            if (content.Length == 0)
            {
                throw new TokenizerException($"{source}: {path}.content is empty.");
            }
            result.Add(new AddedTokenInfo(id, content, special));
        }
        return result;
    }
}
