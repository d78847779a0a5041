using System.Text;

namespace Dllm.Tokenization;

/// <summary>
/// Recovers a BPE merge list from tiktoken-style ranks (which have none): for each multi-byte token, in rank
/// order, byte-pair encoding of its bytes with only the lower-ranked tokens ends in exactly two parts, and
/// those two parts are the merge that creates it.
/// </summary>
internal static class BpeMergeDerivation
{
    /// <summary>The merges as (left rank, right rank), ordered by the rank of the token each one creates.</summary>
    /// <exception cref="InvalidOperationException">A token is not reachable as one merge of two lower-ranked tokens.</exception>
    public static IReadOnlyList<(int Left, int Right)> Derive(IReadOnlyList<byte[]> tokenBytes)
    {
        // Latin-1 maps bytes to chars one to one, so strings work as byte-sequence keys.
        var rankOf = new Dictionary<string, int>(tokenBytes.Count, StringComparer.Ordinal);
        var keys = new string[tokenBytes.Count];
        for (int rank = 0; rank < tokenBytes.Count; rank++)
        {
            keys[rank] = Encoding.Latin1.GetString(tokenBytes[rank]);
            rankOf[keys[rank]] = rank;
        }

        var merges = new List<(int, int)>(tokenBytes.Count);
        for (int rank = 0; rank < keys.Length; rank++)
        {
            if (keys[rank].Length < 2)
            {
                continue;
            }
            List<string> parts = Encode(keys[rank], rankOf, maxRank: rank);
            if (parts.Count != 2)
            {
                throw new InvalidOperationException($"Token of rank {rank} is not one merge of two lower-ranked tokens.");
            }
            merges.Add((rankOf[parts[0]], rankOf[parts[1]]));
        }
        return merges;
    }

    /// <summary>Byte-pair encoding of <paramref name="word"/> that only uses tokens ranked below <paramref name="maxRank"/>.</summary>
    private static List<string> Encode(string word, Dictionary<string, int> rankOf, int maxRank)
    {
        var parts = word.Select(c => c.ToString()).ToList();
        while (parts.Count > 1)
        {
            int best = -1;
            int bestRank = maxRank;
            for (int i = 0; i < parts.Count - 1; i++)
            {
                if (rankOf.TryGetValue(parts[i] + parts[i + 1], out int r) && r < bestRank)
                {
                    best = i;
                    bestRank = r;
                }
            }
            if (best < 0)
            {
                break;
            }
            parts[best] += parts[best + 1];
            parts.RemoveAt(best + 1);
        }
        return parts;
    }
}
