namespace Dllm.Training.Data;

/// <summary>
/// The seed's counting prompt, N in 1..<see cref="MaxCount"/>: half the examples phrased exactly as the seed writes it
/// (<c>" Write the number from 1 to N "</c>, with the spaces its curl request has inside the turn), half without the
/// surrounding spaces (as a chat client sends it); counting down is <c>" Write the number from N to 1 "</c>. The answer
/// is the numbers separated by <c>", "</c> on one line. Which N are held out: <see cref="HeldOutRule.IsHeldOutCount"/>;
/// one training example in <see cref="SeedCountOneIn"/> counts to 128, the seed's request.
/// </summary>
/// <param name="down">Count from N down to 1.</param>
public sealed class CountingTask(bool down) : IDemoTask
{
    /// <summary>The largest N (the seed asks for 128).</summary>
    public const int MaxCount = 128;

    /// <summary>One training example in this many counts to <see cref="MaxCount"/> itself, the seed's own request and the
    /// longest answer (drawn uniformly it would come once in 116 and a model may stop a few numbers short).</summary>
    public const int SeedCountOneIn = 8;

    /// <inheritdoc />
    public string Name => down ? "count-down" : "count-up";

    /// <summary>The user text for N, with the seed's spaces around it or without.</summary>
    public string Prompt(int n, bool seedSpacing = true) => down ? RangePrompt(n, 1, seedSpacing) : RangePrompt(1, n, seedSpacing);

    /// <summary>The answer for N.</summary>
    public string Answer(int n) => down ? RangeAnswer(n, 1) : RangeAnswer(1, n);

    /// <summary>The user text for counting from <paramref name="from"/> to <paramref name="to"/> (either way), with the
    /// seed's spaces around it or without.</summary>
    internal static string RangePrompt(int from, int to, bool seedSpacing)
    {
        string text = $"Write the number from {from} to {to}";
        return seedSpacing ? $" {text} " : text;
    }

    /// <summary>The numbers from <paramref name="from"/> to <paramref name="to"/> (up or down), separated by <c>", "</c>.</summary>
    internal static string RangeAnswer(int from, int to) =>
        string.Join(", ", from <= to ? Enumerable.Range(from, to - from + 1) : Enumerable.Range(to, from - to + 1).Reverse());

    /// <summary>The example for N.</summary>
    public DemoExample ForCount(int n, bool seedSpacing = true) => SingleTurn.Of(Name, Prompt(n, seedSpacing), Answer(n));

    /// <inheritdoc />
    public DemoExample Generate(Random random, DemoSplit split)
    {
        int n = MaxCount;
        if (split == DemoSplit.HeldOut || random.Next(SeedCountOneIn) != 0)
        {
            do
                n = random.Next(1, MaxCount + 1);
            while (HeldOutRule.IsHeldOutCount(n) != (split == DemoSplit.HeldOut));
        }
        return ForCount(n, seedSpacing: random.Next(2) == 0);
    }

    /// <summary>Every N of <paramref name="split"/>, in both phrasings (the held-out ones are the evaluation's counting set).</summary>
    public IEnumerable<DemoExample> All(DemoSplit split) =>
        Enumerable.Range(1, MaxCount).Where(n => HeldOutRule.IsHeldOutCount(n) == (split == DemoSplit.HeldOut))
            .SelectMany(n => new[] { ForCount(n), ForCount(n, seedSpacing: false) });
}
