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
public sealed class CountingRangeTask(bool avoidHeldOutCounts = false) : IDemoTask
{
    /// <inheritdoc />
    public string Name => "count-range";

    /// <inheritdoc />
    public DemoExample Generate(Random random, DemoSplit split) => HeldOutRule.Draw(random, split, r =>
    {
        // Both ends drawn alike from 2..MaxCount, so every number starts and ends ranges (up and down) equally often;
        // a range whose low end is drawn first and whose high end above it skews high ends large, and the small N
        // would then almost never be a stop.
        int from, to;
        do
        {
            from = r.Next(2, CountingTask.MaxCount + 1);
            to = r.Next(2, CountingTask.MaxCount + 1);
        }
        while (from == to || (avoidHeldOutCounts && (HeldOutRule.IsHeldOutCount(from) || HeldOutRule.IsHeldOutCount(to))));
        bool seedSpacing = r.Next(2) == 0;
        return ($"{from}..{to}", SingleTurn.Of(Name, CountingTask.RangePrompt(from, to, seedSpacing), CountingTask.RangeAnswer(from, to)));
    });
}
