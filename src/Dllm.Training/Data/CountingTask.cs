namespace Dllm.Training.Data;

/// <summary>
/// The seed's counting prompt, N in 1..<see cref="MaxCount"/>: half the examples phrased exactly as the seed writes it
/// (<c>" Write the number from 1 to N "</c>, with the spaces its curl request has inside the turn), half without the
/// surrounding spaces (as a chat client sends it); counting down is <c>" Write the number from N to 1 "</c>. Half the
/// examples count over a random range instead (<c>" Write the number from A to B "</c>, up or down): with 8,000-odd
/// ranges the model cannot learn each answer's length by heart and has to stop where the prompt's last number is
/// written, which is what carries over to an N it was never shown. The answer is the numbers separated by <c>", "</c>
/// on one line. Which N are held out: <see cref="HeldOutRule.IsHeldOutCount"/>; a training range never starts or ends
/// at one.
/// </summary>
/// <param name="down">Count from N down to 1.</param>
public sealed class CountingTask(bool down) : IDemoTask
{
    /// <summary>The largest N (the seed asks for 128).</summary>
    public const int MaxCount = 128;

    /// <inheritdoc />
    public string Name => down ? "count-down" : "count-up";

    /// <summary>The user text for N, with the seed's spaces around it or without.</summary>
    public string Prompt(int n, bool seedSpacing = true) => down ? RangePrompt(n, 1, seedSpacing) : RangePrompt(1, n, seedSpacing);

    /// <summary>The answer for N.</summary>
    public string Answer(int n) => down ? RangeAnswer(n, 1) : RangeAnswer(1, n);

    /// <summary>The example for N.</summary>
    public DemoExample ForCount(int n, bool seedSpacing = true) => SingleTurn.Of(Name, Prompt(n, seedSpacing), Answer(n));

    private static string RangePrompt(int from, int to, bool seedSpacing) =>
        seedSpacing ? $" Write the number from {from} to {to} " : $"Write the number from {from} to {to}";

    private static string RangeAnswer(int from, int to) =>
        string.Join(", ", from <= to ? Enumerable.Range(from, to - from + 1) : Enumerable.Range(to, from - to + 1).Reverse());

    /// <inheritdoc />
    public DemoExample Generate(Random random, DemoSplit split)
    {
        bool seedSpacing = random.Next(2) == 0;
        if (split == DemoSplit.Train && random.Next(2) == 0)
        {
            int low, high;
            do
            {
                low = random.Next(1, MaxCount);
                high = random.Next(low + 1, MaxCount + 1);
            }
            while (HeldOutRule.IsHeldOutCount(low) || HeldOutRule.IsHeldOutCount(high));
            var (from, to) = down ? (high, low) : (low, high);
            return SingleTurn.Of(Name, RangePrompt(from, to, seedSpacing), RangeAnswer(from, to));
        }
        int n;
        do
            n = random.Next(1, MaxCount + 1);
        while (HeldOutRule.IsHeldOutCount(n) != (split == DemoSplit.HeldOut));
        return ForCount(n, seedSpacing);
    }

    /// <summary>Every N of <paramref name="split"/>, in both phrasings (the held-out ones are the evaluation's counting set).</summary>
    public IEnumerable<DemoExample> All(DemoSplit split) =>
        Enumerable.Range(1, MaxCount).Where(n => HeldOutRule.IsHeldOutCount(n) == (split == DemoSplit.HeldOut))
            .SelectMany(n => new[] { ForCount(n), ForCount(n, seedSpacing: false) });
}
