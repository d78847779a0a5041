namespace Dllm.Training.Data;

/// <summary>Random short strings and lists for the generated tasks.</summary>
internal static class RandomText
{
    /// <summary>A lowercase word of <paramref name="minLength"/>..<paramref name="maxLength"/> letters.</summary>
    public static string Word(Random random, int minLength, int maxLength)
    {
        var letters = new char[random.Next(minLength, maxLength + 1)];
        for (int i = 0; i < letters.Length; i++)
            letters[i] = (char)('a' + random.Next(26));
        return new string(letters);
    }

    /// <summary>1..<paramref name="maxWords"/> words separated by single spaces.</summary>
    public static string Phrase(Random random, int maxWords) =>
        string.Join(' ', Enumerable.Range(0, random.Next(1, maxWords + 1)).Select(_ => Word(random, 2, 7)));

    /// <summary><paramref name="minCount"/>..<paramref name="maxCount"/> numbers in 0..99.</summary>
    public static int[] Numbers(Random random, int minCount, int maxCount) =>
        [.. Enumerable.Range(0, random.Next(minCount, maxCount + 1)).Select(_ => random.Next(100))];
}
