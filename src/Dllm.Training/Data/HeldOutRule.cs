using System.Text;

namespace Dllm.Training.Data;

/// <summary>
/// Decides the split of a generated instance: the instances whose key hashes to 0 modulo 10 (FNV-1a over UTF-8) are
/// held out. For the other generated tasks the key is the user text; for counting it is <c>N=n</c>, which holds out 12
/// numbers spread over one, two and three digits and every last digit but 4 (6, 8, 11, 35, 42, 57, 60, 73, 79, 91,
/// 112, 121), so every digit in every place is still seen in training (a rule such as "every N ending in 7" would hide
/// a whole digit and test something no example teaches). The seed's own 128 is always trained.
/// </summary>
public static class HeldOutRule
{
    /// <summary>Whether counting to (or from) <paramref name="n"/> is held out.</summary>
    public static bool IsHeldOutCount(int n) => n != CountingTask.MaxCount && IsHeldOut($"N={n}");

    /// <summary>Whether the instance with this key is held out.</summary>
    public static bool IsHeldOut(string key)
    {
        uint hash = 2166136261;
        foreach (byte b in Encoding.UTF8.GetBytes(key))
            hash = (hash ^ b) * 16777619;
        return hash % 10 == 0;
    }

    /// <summary>The split of an instance with this key.</summary>
    public static DemoSplit SplitOf(string key) => IsHeldOut(key) ? DemoSplit.HeldOut : DemoSplit.Train;

    /// <summary>Draws instances from <paramref name="draw"/> until one's key falls in <paramref name="split"/>.</summary>
    public static DemoExample Draw(Random random, DemoSplit split, Func<Random, (string Key, DemoExample Example)> draw)
    {
        while (true)
        {
            var (key, example) = draw(random);
            if (SplitOf(key) == split)
                return example;
        }
    }
}
