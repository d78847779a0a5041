using System.Text.Json;
using System.Text.RegularExpressions;

namespace Dllm.Tokenization;

/// <summary>
/// Reads a tokenizer.json <c>pre_tokenizer</c>: one <c>Split</c> with a regex (behavior <c>Isolated</c>), alone or
/// in a <c>Sequence</c> with <c>ByteLevel</c> (<c>use_regex</c> false), or a lone <c>ByteLevel</c> whose
/// <c>use_regex</c> means the GPT-2 split regex. Other shapes are reported as unsupported.
/// </summary>
internal static class PreTokenizerSection
{
    /// <summary>The split regex that tokenizers' ByteLevel pre-tokenizer uses when <c>use_regex</c> is true.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>The split regex (Hugging Face dialect) of the file's pre-tokenizer.</summary>
    public static string SplitPattern(JsonElement root, string source)
    {
        JsonElement section = TokenizerJsonReader.Required(root, "pre_tokenizer", JsonValueKind.Object, source, "");
        var patterns = new List<string>();
        bool byteLevel = false;
        Visit(section, "pre_tokenizer", patterns, ref byteLevel, source);
        if (!byteLevel)
        {
            throw new TokenizerException($"{source}: pre_tokenizer has no ByteLevel step; only byte-level BPE tokenizers are supported.");
        }
        return patterns.Count switch
        {
            1 => patterns[0],
            0 => throw new TokenizerException($"{source}: pre_tokenizer has no split regex."),
            _ => throw new TokenizerException($"{source}: pre_tokenizer splits with {patterns.Count} regexes in sequence; only one is supported."),
        };
    }

    private static void Visit(JsonElement step, string path, List<string> patterns, ref bool byteLevel, string source)
    {
        string type = TokenizerJsonReader.Required(step, "type", JsonValueKind.String, source, path).GetString()!;
        switch (type)
        {
            case "Sequence":
                JsonElement steps = TokenizerJsonReader.Required(step, "pretokenizers", JsonValueKind.Array, source, path);
                int index = 0;
                foreach (JsonElement inner in steps.EnumerateArray())
                {
                    Visit(inner, $"{path}.pretokenizers[{index++}]", patterns, ref byteLevel, source);
                }
                break;
            case "Split":
                patterns.Add(ReadSplit(step, path, source));
                break;
            case "ByteLevel":
                byteLevel = true;
                if (Flag(step, "add_prefix_space", false))
                {
                    throw new TokenizerException($"{source}: {path} has add_prefix_space true, which is not supported.");
                }
                if (Flag(step, "use_regex", true))
                {
                    patterns.Add(Gpt2Pattern);
                }
                break;
            default:
                throw new TokenizerException($"{source}: pre-tokenizer type '{type}' at {path} is not supported (Split, ByteLevel and Sequence are).");
        }
    }

    private static string ReadSplit(JsonElement step, string path, string source)
    {
        JsonElement pattern = TokenizerJsonReader.Required(step, "pattern", JsonValueKind.Object, source, path);
        string behavior = step.TryGetProperty("behavior", out JsonElement b) && b.ValueKind == JsonValueKind.String ? b.GetString()! : "Isolated";
        bool invert = Flag(step, "invert", false);
        if (behavior != "Isolated" || invert)
        {
            throw new TokenizerException($"{source}: {path} splits with behavior '{behavior}'{(invert ? ", inverted" : "")}; only Isolated, not inverted, is supported.");
        }
        if (pattern.TryGetProperty("Regex", out JsonElement regex) && regex.ValueKind == JsonValueKind.String)
        {
            return regex.GetString()!;
        }
        if (pattern.TryGetProperty("String", out JsonElement literal) && literal.ValueKind == JsonValueKind.String)
        {
            return Regex.Escape(literal.GetString()!);
        }
        throw new TokenizerException($"{source}: {path}.pattern has neither a Regex nor a String.");
    }

    private static bool Flag(JsonElement step, string name, bool defaultValue) =>
        step.TryGetProperty(name, out JsonElement value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? value.GetBoolean()
            : defaultValue;
}
