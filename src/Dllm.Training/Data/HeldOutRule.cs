using System.Text;

namespace Dllm.Training.Data;

/// <summary>
/// Decides the split of a generated instance: counting tasks hold out every N ending in 7 (7, 17, …, 127); the other
/// generated tasks hold out the instances whose key (the user text) hashes to 0 modulo 10 (FNV-1a over UTF-8).
/// </summary>
public static class HeldOutRule
{
    /// <summary>Whether counting to (or from) <paramref name="n"/> is held out.</summary>
    public static bool IsHeldOutCount(int n) => n % 10 == 7;

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
