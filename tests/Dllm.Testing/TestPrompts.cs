namespace Dllm.Testing;

/// <summary>Prompts as token ids for the tiny models' tests.</summary>
public static class TestPrompts
{
    /// <summary><paramref name="count"/> ids drawn from <c>100..1499</c> (ordinary tokens of the tiny models' vocabulary,
    /// no special ones), the same for the same <paramref name="seed"/>.</summary>
    public static int[] Ids(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.Next(100, 1500)).ToArray();
    }
}
