using System.Buffers;
using System.Text;

namespace Dllm.Tokenization;

/// <summary>
/// Turns ids that arrive piece by piece (for example one diffusion block at a time) into text, returning only the
/// new text each time. A UTF-8 character split across ids is held back until its last byte arrives, so no U+FFFD
/// appears for it; the concatenation of every <see cref="Append(IEnumerable{int})"/> result and
/// <see cref="Flush"/> equals <see cref="LladaTokenizer.Decode"/> of all the ids at once. Not thread-safe.
/// </summary>
/// <remarks>
/// Works on the tokens' bytes with a stateful UTF-8 decoder rather than on <c>BpeTokenizer.Decode(ids, Span&lt;char&gt;, …)</c>,
/// which holds back incomplete characters too but stops for good (InvalidData) at invalid byte sequences and
/// unknown ids, which a model can always generate.
/// </remarks>
public sealed class StreamingDetokenizer
{
    private readonly LladaTokenizer _tokenizer;
    private readonly ArrayBufferWriter<byte> _bytes = new();
    private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();

    /// <summary>Creates a detokenizer over <paramref name="tokenizer"/>.</summary>
    /// <param name="tokenizer">The tokenizer whose ids are decoded.</param>
    /// <param name="skipSpecialTokens">Drop added tokens marked special.</param>
    public StreamingDetokenizer(LladaTokenizer tokenizer, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        SkipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>Whether added tokens marked special are dropped.</summary>
    public bool SkipSpecialTokens { get; }

    /// <summary>Adds ids and returns the text they complete (possibly empty).</summary>
    public string Append(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        _bytes.ResetWrittenCount();
        foreach (int id in ids)
        {
            _tokenizer.AppendTokenBytes(id, SkipSpecialTokens, _bytes);
        }
        return DecodeBuffered(flush: false);
    }

    /// <summary>Adds one id and returns the text it completes (possibly empty).</summary>
    public string Append(int id) => Append([id]);

    /// <summary>Returns what is still held back (an unfinished character becomes U+FFFD) and starts over.</summary>
    public string Flush()
    {
        _bytes.ResetWrittenCount();
        return DecodeBuffered(flush: true);
    }

    private string DecodeBuffered(bool flush)
    {
        ReadOnlySpan<byte> bytes = _bytes.WrittenSpan;
        var chars = new char[_utf8.GetCharCount(bytes, flush)]; // counting leaves the decoder's state alone
        int written = _utf8.GetChars(bytes, chars, flush);      // this keeps an unfinished character's bytes
        return new string(chars, 0, written);
    }
}
