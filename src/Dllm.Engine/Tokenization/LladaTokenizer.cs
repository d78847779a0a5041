using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Dllm.Tokenization;

/// <summary>
/// The LLaDA2 tokenizer: byte-level BPE built from a Hugging Face tokenizer.json (vocabulary, merges,
/// <c>added_tokens</c>, and the split regex of its own <c>pre_tokenizer</c>) on Microsoft.ML.Tokenizers'
/// <see cref="BpeTokenizer"/>. <see cref="Encode(string)"/> turns every added token written in the text into its one
/// id; <see cref="EncodeText"/> encodes text as text; <see cref="Encode(IEnumerable{PromptSegment})"/> mixes the two
/// (template text and content of a chat prompt). No BOS/EOS is added. Thread-safe.
/// </summary>
public sealed class LladaTokenizer
{
    private readonly BpeTokenizer _bpe;
    private readonly BpeTokenizer _textBpe;
    private readonly Regex _addedTokenPattern;
    private readonly Dictionary<string, int> _addedTokenIds;
    private readonly TokenByteTable _tokenBytes;
    private readonly IReadOnlyList<NormalizationForm> _normalization;
    private long _encodings;

    private LladaTokenizer(TokenizerJsonContent content, string source)
    {
        Source = source;
        AddedTokens = content.AddedTokens;
        _normalization = content.Normalization;
        _addedTokenIds = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (AddedTokenInfo token in content.AddedTokens)
        {
            _addedTokenIds[token.Content] = token.Id;
        }
        EosTokenId = RequiredTokenId(LladaTokens.EndOfText, "EOS");
        MaskTokenId = RequiredTokenId(LladaTokens.Mask, "mask");
        RoleEndTokenId = RequiredTokenId(LladaTokens.RoleEnd, "end of turn");

        try
        {
            PreTokenizerPattern = RegexDialect.ToDotNet(content.SplitPattern);
            var regex = new Regex(PreTokenizerPattern, RegexOptions.Compiled | RegexOptions.CultureInvariant);
            _bpe = CreateBpe(content, regex, _addedTokenIds);
            // Text encoding needs a BPE that knows no added tokens: Microsoft.ML.Tokenizers' BpeTokenizer splits them
            // out in its pre-tokenizer and also matches a whole pre-token against them. Built now rather than on first
            // use: a lazy one would keep the parsed vocabulary and merges alive, which costs about half as much as the
            // second BPE itself (measured with the GPT-2-sized synthetic vocabulary: 22 MB for one BPE, 32 MB for two).
            _textBpe = CreateBpe(content, regex, addedTokens: null);
            // The same alternation, in the same order, as RegexPreTokenizer builds from the special tokens, so template
            // text splits at added tokens exactly where Encode(string) splits it.
            _addedTokenPattern = new Regex(string.Join("|", _addedTokenIds.Keys.Select(Regex.Escape)), RegexOptions.CultureInvariant);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            throw new TokenizerException($"{source}: cannot build the BPE tokenizer ({e.Message})", e);
        }

        int maxVocabId = content.Vocabulary.Count == 0 ? -1 : content.Vocabulary.Values.Max();
        VocabularySize = Math.Max(maxVocabId, content.AddedTokens.Max(t => t.Id)) + 1;
        _tokenBytes = new TokenByteTable(VocabularySize, content.Vocabulary, content.AddedTokens);
    }

    /// <summary>Where the tokenizer came from (the file path, or the name given to <see cref="FromJson"/>).</summary>
    public string Source { get; }

    /// <summary>The tokenizer.json <c>added_tokens</c>, each encoded as its single id.</summary>
    public IReadOnlyList<AddedTokenInfo> AddedTokens { get; }

    /// <summary>The pre-tokenizer regex in .NET form (possessive quantifiers turned into atomic groups).</summary>
    public string PreTokenizerPattern { get; }

    /// <summary>Id of <c>&lt;|endoftext|&gt;</c>: end of sequence and padding.</summary>
    public int EosTokenId { get; }

    /// <summary>Id of <c>&lt;|mask|&gt;</c>, the token diffusion decoding fills in.</summary>
    public int MaskTokenId { get; }

    /// <summary>Id of <c>&lt;|role_end|&gt;</c>, which ends a chat turn (generation also stops on it).</summary>
    public int RoleEndTokenId { get; }

    /// <summary>Largest id of the vocabulary or the added tokens, plus one.</summary>
    public int VocabularySize { get; }

    /// <summary>Loads a Hugging Face tokenizer.json.</summary>
    /// <exception cref="TokenizerException">The file is missing, is not valid JSON, is not byte-level BPE, or lacks a LLaDA special token.</exception>
    public static LladaTokenizer FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new TokenizerException($"{path}: tokenizer file not found.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TokenizerException($"{path}: cannot read the tokenizer file ({e.Message})", e);
        }
        return FromJson(json, path);
    }

    /// <summary>Builds the tokenizer from the text of a tokenizer.json; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="TokenizerException">The text is not valid JSON, is not byte-level BPE, or lacks a LLaDA special token.</exception>
    public static LladaTokenizer FromJson(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(source);
        return new LladaTokenizer(TokenizerJsonReader.Read(json, source), source);
    }

    /// <summary>Encodes text; added tokens written in the text (such as <c>&lt;|role_end|&gt;</c>) become their ids. Adds no BOS/EOS.</summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Interlocked.Increment(ref _encodings);
        return [.. _bpe.EncodeToIds(Normalize(text), considerPreTokenization: true, considerNormalization: false)];
    }

    /// <summary>
    /// Encodes text as text: added tokens written in it (such as <c>&lt;|role_end|&gt;</c>) are not matched but
    /// encoded by byte-level BPE like any other characters. Adds no BOS/EOS. For text with no added token in it, the
    /// same ids as <see cref="Encode(string)"/>.
    /// </summary>
    public int[] EncodeText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Interlocked.Increment(ref _encodings);
        return [.. _textBpe.EncodeToIds(Normalize(text), considerPreTokenization: true, considerNormalization: false)];
    }

    /// <summary>
    /// Encodes a prompt made of template text and content: the added tokens written in template segments become their
    /// ids; everything else (the template text between them and all content) is encoded as text, each maximal run of
    /// it between two control tokens as one piece. So a prompt whose content holds no added-token string encodes
    /// exactly as <see cref="Encode(string)"/> of its whole text, and one whose content does keeps it as text.
    /// </summary>
    public int[] Encode(IEnumerable<PromptSegment> segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        Interlocked.Increment(ref _encodings);
        var ids = new List<int>();
        var run = new StringBuilder();
        foreach (PromptSegment segment in segments)
        {
            ArgumentNullException.ThrowIfNull(segment.Text, nameof(segments));
            if (segment.IsContent)
            {
                run.Append(segment.Text);
                continue;
            }
            int start = 0;
            for (Match match = _addedTokenPattern.Match(segment.Text); match.Success; match = match.NextMatch())
            {
                run.Append(segment.Text, start, match.Index - start);
                AppendRun(run, ids);
                ids.Add(_addedTokenIds[match.Value]);
                start = match.Index + match.Length;
            }
            run.Append(segment.Text, start, segment.Text.Length - start);
        }
        AppendRun(run, ids);
        return [.. ids];
    }

    /// <summary>Calls of the encode methods so far (a test seam: each prompt is tokenized once per request).</summary>
    internal long Encodings => Interlocked.Read(ref _encodings);

    /// <summary>The byte length of the longest token (vocabulary or added): no token covers more bytes of text.</summary>
    public int MaxTokenBytes => _tokenBytes.MaxTokenBytes;

    /// <summary>
    /// A lower bound on <c>Encode(text).Length</c> that costs one pass over the text instead of a tokenization: byte-level
    /// BPE covers every byte of the (normalized) text with exactly one token, and no token covers more than
    /// <see cref="MaxTokenBytes"/> bytes, so it needs at least ceil(bytes / <see cref="MaxTokenBytes"/>) tokens.
    /// </summary>
    public long MinimumTokenCount(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (NormalizationForm form in _normalization)
        {
            text = text.Normalize(form);
        }
        long bytes = Encoding.UTF8.GetByteCount(text);
        return (bytes + MaxTokenBytes - 1) / MaxTokenBytes;
    }

    /// <summary>
    /// Decodes ids to text: the tokens' bytes read as UTF-8, invalid sequences as U+FFFD (as Hugging Face does).
    /// Ids that are neither in the vocabulary nor added tokens decode to nothing.
    /// </summary>
    /// <param name="ids">The token ids.</param>
    /// <param name="skipSpecialTokens">Drop added tokens marked special (in the LLaDA tokenizer the tool-call markers are not special and stay).</param>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return _tokenBytes.Decode(ids, skipSpecialTokens);
    }

    /// <summary>Looks up an added token (such as <c>&lt;role&gt;</c>) by its text.</summary>
    public bool TryGetTokenId(string tokenContent, out int id)
    {
        ArgumentNullException.ThrowIfNull(tokenContent);
        return _addedTokenIds.TryGetValue(tokenContent, out id);
    }

    /// <summary>Whether <paramref name="id"/> is an added token marked special.</summary>
    public bool IsSpecial(int id) => _tokenBytes.IsSpecial(id);

    /// <summary>A detokenizer for text generated piece by piece.</summary>
    public StreamingDetokenizer CreateStreamingDetokenizer(bool skipSpecialTokens = false) => new(this, skipSpecialTokens);

    /// <summary>Appends the bytes of <paramref name="id"/> (nothing for unknown ids, or special ones when skipped).</summary>
    internal void AppendTokenBytes(int id, bool skipSpecialTokens, IBufferWriter<byte> destination) =>
        _tokenBytes.Append(id, skipSpecialTokens, destination);

    private static BpeTokenizer CreateBpe(TokenizerJsonContent content, Regex preTokenizer, Dictionary<string, int>? addedTokens) =>
        BpeTokenizer.Create(new BpeOptions(content.Vocabulary)
        {
            Merges = content.Merges,
            SpecialTokens = addedTokens,
            PreTokenizer = new RegexPreTokenizer(preTokenizer, addedTokens),
            ByteLevel = true,
        });

    /// <summary>Encodes <paramref name="run"/> as text onto <paramref name="ids"/> and empties it.</summary>
    private void AppendRun(StringBuilder run, List<int> ids)
    {
        if (run.Length > 0)
        {
            ids.AddRange(_textBpe.EncodeToIds(Normalize(run.ToString()), considerPreTokenization: true, considerNormalization: false));
            run.Clear();
        }
    }

    private string Normalize(string text)
    {
        foreach (NormalizationForm form in _normalization)
        {
            text = text.Normalize(form);
        }
        return text;
    }

    private int RequiredTokenId(string content, string role) =>
        _addedTokenIds.TryGetValue(content, out int id)
            ? id
            : throw new TokenizerException($"{Source}: the {role} token '{content}' is missing from added_tokens.");
}
