using System.Buffers;
using System.Text;

namespace Dllm.Tokenization;

/// <summary>
/// The bytes each id stands for: a vocabulary token's byte-level spelling mapped back to bytes, an added token's
/// UTF-8 text. Decoding concatenates bytes and reads them as UTF-8, so decoding in pieces with a stateful UTF-8
/// decoder gives exactly the text of decoding everything at once.
/// </summary>
internal sealed class TokenByteTable
{
    private readonly byte[]?[] _bytes;
    private readonly bool[] _special;

    /// <summary>Builds the table for ids below <paramref name="size"/>.</summary>
    public TokenByteTable(int size, IReadOnlyDictionary<string, int> vocabulary, IEnumerable<AddedTokenInfo> addedTokens)
    {
        _bytes = new byte[size][];
        _special = new bool[size];
        foreach ((string token, int id) in vocabulary)
        {
            _bytes[id] = ByteLevelAlphabet.Decode(token);
        }
        foreach (AddedTokenInfo token in addedTokens)
        {
            _bytes[token.Id] = Encoding.UTF8.GetBytes(token.Content);
            _special[token.Id] = token.Special;
        }
        MaxTokenBytes = Math.Max(1, _bytes.Max(bytes => bytes?.Length ?? 0));
    }

    /// <summary>The byte length of the longest token (at least 1).</summary>
    public int MaxTokenBytes { get; }

    /// <summary>Whether <paramref name="id"/> is an added token marked special.</summary>
    public bool IsSpecial(int id) => (uint)id < (uint)_special.Length && _special[id];

    /// <summary>Appends the bytes of <paramref name="id"/>; ids that are unknown (or special, when skipped) add nothing.</summary>
    public void Append(int id, bool skipSpecialTokens, IBufferWriter<byte> destination)
    {
        if ((uint)id >= (uint)_bytes.Length || _bytes[id] is not { } bytes || (skipSpecialTokens && _special[id]))
        {
            return;
        }
        destination.Write(bytes);
    }

    /// <summary>The text of <paramref name="ids"/> (invalid UTF-8 becomes U+FFFD).</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (int id in ids)
        {
            Append(id, skipSpecialTokens, buffer);
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
