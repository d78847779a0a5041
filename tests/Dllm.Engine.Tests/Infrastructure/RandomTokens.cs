namespace Dllm.Tests.Infrastructure;

/// <summary>Seeded token ids for the tiny models' forwards.</summary>
internal static class RandomTokens
{
    /// <summary><paramref name="count"/> ids below <paramref name="vocabulary"/>, the same for the same seed.</summary>
    public static int[] Of(int count, int seed, int vocabulary = 64)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.Next(vocabulary)).ToArray();
    }
}
