namespace Dllm.Training.Data;

/// <summary>
/// Counting over a random range, up or down, in the counting task's words (<c>" Write the number from A to B "</c>):
/// with thousands of ranges no answer's length can be learned by heart, so the model has to stop where the prompt's
/// last number is written, which is what counting to an N it never saw needs. No range is <c>1 to N</c> or <c>N to 1</c>
/// (those are <see cref="CountingTask"/>'s, so a held-out count's prompt is never trained); with
/// <paramref name="avoidHeldOutCounts"/> no range starts or ends at a held-out N either
/// (<see cref="HeldOutRule.IsHeldOutCount"/>), so those numbers never appear in any training prompt. The split of a range
/// is by its key <c>A..B</c>. Part of the demo model's training data with the weight
/// <see cref="TrainingOptions.CountingRangeWeight"/> (0 leaves it out); not part of the evaluation set.
/// </summary>
/// <param name="avoidHeldOutCounts">Keep the held-out N out of every range's ends
/// (<see cref="TrainingOptions.CountingRangesAvoidHeldOut"/>).</param>
/// <param name="stopFirst">Draw the stop first (<see cref="TrainingOptions.CountingRangesStopFirst"/>).</param>
public sealed class CountingRangeTask(bool avoidHeldOutCounts = false, bool stopFirst = false) : IDemoTask
{
    /// <inheritdoc />
    public string Name => "count-range";

    /// <inheritdoc />
    public DemoExample Generate(Random random, DemoSplit split) => HeldOutRule.Draw(random, split, r =>
    {
        var (from, to) = stopFirst ? DrawStopFirst(r) : DrawEndsAlike(r);
        bool seedSpacing = r.Next(2) == 0;
        return ($"{from}..{to}", SingleTurn.Of(Name, CountingTask.RangePrompt(from, to, seedSpacing), CountingTask.RangeAnswer(from, to)));
    });

    /// <summary>The stop (the prompt's last number, where the answer must end) drawn first, uniformly, then the start
    /// uniformly on its far side: every number ends as many ranges counting up, and as many counting down, as any
    /// other.</summary>
    private (int From, int To) DrawStopFirst(Random r)
    {
        int from, to;
        do
        {
            bool up = r.Next(2) == 0;
            to = up ? r.Next(3, CountingTask.MaxCount + 1) : r.Next(2, CountingTask.MaxCount);
            from = up ? r.Next(2, to) : r.Next(to + 1, CountingTask.MaxCount + 1);
        }
        while (Rejected(from, to));
        return (from, to);
    }

    /// <summary>Both ends drawn alike from 2..MaxCount, so every number starts and ends as many ranges as any other;
    /// counting up, a small number ends few of them (only the starts below it qualify: "2 to 6" .. "5 to 6").</summary>
    private (int From, int To) DrawEndsAlike(Random r)
    {
        int from, to;
        do
        {
            from = r.Next(2, CountingTask.MaxCount + 1);
            to = r.Next(2, CountingTask.MaxCount + 1);
        }
        while (from == to || Rejected(from, to));
        return (from, to);
    }

    private bool Rejected(int from, int to) => avoidHeldOutCounts && (HeldOutRule.IsHeldOutCount(from) || HeldOutRule.IsHeldOutCount(to));
}
