using System.Text;
using System.Text.RegularExpressions;
using Dllm.Tokenization;

namespace Dllm.Training.Tokenizer;

/// <summary>
/// Trains a byte-level BPE on texts as the LLaDA tokenizer will split them: the added tokens are cut out first (they
/// are single ids), the rest is pre-tokenized with the given split (LLaDA2's <see cref="LladaTokens.PreTokenizerPattern"/>,
/// digits one at a time, unless <see cref="DemoPreTokenizer"/> gives another), each piece spelled in the GPT-2 byte
/// alphabet; then the most frequent adjacent pair is merged until
/// <c>maxMerges</c> merges exist or no pair occurs <c>minFrequency</c> times (ties: the ordinal-first pair).
/// </summary>
public static class BpeTrainer
{
    /// <summary>Trains on <paramref name="texts"/>, split by <paramref name="preTokenizerPattern"/> (Hugging Face
    /// dialect; null: LLaDA2's).</summary>
    public static BpeVocabulary Train(IEnumerable<string> texts, int maxMerges, int minFrequency = 2, string? preTokenizerPattern = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentOutOfRangeException.ThrowIfNegative(maxMerges);
        preTokenizerPattern ??= LladaTokens.PreTokenizerPattern;
        var words = CountWords(texts, preTokenizerPattern);
        var tokens = Enumerable.Range(0, 256).Select(b => ByteLevelAlphabet.ToChar((byte)b).ToString()).ToList();
        var merges = new List<string>();
        var symbols = words.Keys.Select(w => w.Select(c => c.ToString()).ToList()).ToList();
        var counts = words.Values.ToList();
        while (merges.Count < maxMerges)
        {
            var best = BestPair(symbols, counts, minFrequency);
            if (best is null)
                break;
            var (left, right) = best.Value;
            string merged = left + right;
            merges.Add($"{left} {right}");
            tokens.Add(merged);
            foreach (var word in symbols)
                MergeInPlace(word, left, right, merged);
        }
        return new BpeVocabulary(tokens, merges, preTokenizerPattern);
    }

    private static Dictionary<string, int> CountWords(IEnumerable<string> texts, string preTokenizerPattern)
    {
        var split = new Regex(RegexDialect.ToDotNet(preTokenizerPattern), RegexOptions.CultureInvariant);
        var added = new Regex(string.Join("|", SpecialTokens.All.Select(Regex.Escape)), RegexOptions.CultureInvariant);
        var words = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string text in texts)
        {
            foreach (string run in added.Split(text))
            {
                foreach (Match piece in split.Matches(run))
                {
                    string spelled = ByteLevelAlphabet.Encode(Encoding.UTF8.GetBytes(piece.Value));
                    words[spelled] = words.GetValueOrDefault(spelled) + 1;
                }
            }
        }
        return words;
    }

    private static (string Left, string Right)? BestPair(List<List<string>> symbols, List<int> counts, int minFrequency)
    {
        var pairs = new Dictionary<(string, string), int>();
        for (int w = 0; w < symbols.Count; w++)
        {
            var word = symbols[w];
            for (int i = 0; i + 1 < word.Count; i++)
            {
                var pair = (word[i], word[i + 1]);
                pairs[pair] = pairs.GetValueOrDefault(pair) + counts[w];
            }
        }
        (string, string)? best = null;
        int bestCount = minFrequency - 1;
        foreach (var (pair, count) in pairs)
        {
            if (count > bestCount || (count == bestCount && best is not null && Compare(pair, best.Value) < 0))
            {
                best = pair;
                bestCount = count;
            }
        }
        return best;
    }

    private static int Compare((string, string) a, (string, string) b)
    {
        int first = string.CompareOrdinal(a.Item1, b.Item1);
        return first != 0 ? first : string.CompareOrdinal(a.Item2, b.Item2);
    }

    private static void MergeInPlace(List<string> word, string left, string right, string merged)
    {
        for (int i = 0; i + 1 < word.Count; i++)
        {
            if (word[i] == left && word[i + 1] == right)
            {
                word[i] = merged;
                word.RemoveAt(i + 1);
            }
        }
    }
}
