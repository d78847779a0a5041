using System.Text;

namespace Dllm.Tokenization;

/// <summary>
/// The GPT-2 byte-to-unicode mapping used by byte-level BPE vocabularies: every byte is written as one
/// printable character (printable Latin-1 bytes as themselves, the others as U+0100 and up, e.g. space as 'Ġ').
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] ByteToChar = BuildTable();
    private static readonly short[] CharToByte = BuildInverse(ByteToChar);

    /// <summary>The character that stands for <paramref name="value"/>.</summary>
    public static char ToChar(byte value) => ByteToChar[value];

    /// <summary>The byte-level spelling of a byte sequence (one character per byte).</summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        var builder = new StringBuilder(bytes.Length);
        foreach (byte b in bytes)
        {
            builder.Append(ByteToChar[b]);
        }
        return builder.ToString();
    }

    /// <summary>
    /// The bytes a byte-level token spelling stands for; characters outside the alphabet (a vocabulary that is
    /// not purely byte-level) are taken as their own UTF-8 bytes.
    /// </summary>
    public static byte[] Decode(string token)
    {
        var bytes = new List<byte>(token.Length);
        Span<byte> utf8 = stackalloc byte[4];
        for (int i = 0; i < token.Length; i++)
        {
            char c = token[i];
            if (c < CharToByte.Length && CharToByte[c] >= 0)
            {
                bytes.Add((byte)CharToByte[c]);
                continue;
            }
            int length = char.IsHighSurrogate(c) && i + 1 < token.Length
                ? Encoding.UTF8.GetBytes(token.AsSpan(i++, 2), utf8)
                : Encoding.UTF8.GetBytes(token.AsSpan(i, 1), utf8);
            bytes.AddRange(utf8[..length]);
        }
        return [.. bytes];
    }

    private static short[] BuildInverse(char[] table)
    {
        var inverse = new short[table.Max() + 1];
        Array.Fill(inverse, (short)-1);
        for (int b = 0; b < table.Length; b++)
        {
            inverse[table[b]] = (short)b;
        }
        return inverse;
    }

    private static char[] BuildTable()
    {
        var table = new char[256];
        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            table[b] = printable ? (char)b : (char)(256 + next++);
        }
        return table;
    }
}
