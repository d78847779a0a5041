using System.Text.Json.Nodes;

namespace Dllm.Tests.Tokenization;

/// <summary>Small hand-written tokenizer.json files for tests of the reader and its errors.</summary>
internal static class MiniTokenizerJson
{
    /// <summary>The LLaDA added tokens every tokenizer needs.</summary>
    public static JsonArray AddedTokens() =>
    [
        Added(10, "<|endoftext|>"),
        Added(11, "<|mask|>"),
        Added(12, "<|role_end|>"),
    ];

    /// <summary>One added-token entry.</summary>
    public static JsonObject Added(int id, string content, bool special = true) =>
        new() { ["id"] = id, ["content"] = content, ["special"] = special };

    /// <summary>A byte-level BPE over "h", "i", "Ġ" with merges "h i" and "Ġ hi", in the LLaDA pre-tokenizer layout.</summary>
    public static JsonObject Create() => new()
    {
        ["version"] = "1.0",
        ["added_tokens"] = AddedTokens(),
        ["normalizer"] = null,
        ["pre_tokenizer"] = new JsonObject
        {
            ["type"] = "Sequence",
            ["pretokenizers"] = new JsonArray
            {
                new JsonObject
                {
                    ["type"] = "Split",
                    ["pattern"] = new JsonObject { ["Regex"] = Dllm.Tokenization.LladaTokens.PreTokenizerPattern },
                    ["behavior"] = "Isolated",
                    ["invert"] = false,
                },
                new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["use_regex"] = false },
            },
        },
        ["decoder"] = new JsonObject { ["type"] = "ByteLevel" },
        ["model"] = new JsonObject
        {
            ["type"] = "BPE",
            ["vocab"] = new JsonObject { ["h"] = 0, ["i"] = 1, ["Ġ"] = 2, ["hi"] = 3, ["Ġhi"] = 4 },
            ["merges"] = new JsonArray { "h i", "Ġ hi" },
        },
    };
}
