namespace Dllm.Training.Data;

/// <summary>
/// The generated data: tasks drawn with fixed weights (counting up 3, every other task 1), each example from a
/// <see cref="Random"/> seeded with the corpus seed, so a seed always gives the same examples.
/// </summary>
public static class DemoCorpus
{
    /// <summary>Every task with its sampling weight.</summary>
    public static IReadOnlyList<(IDemoTask Task, int Weight)> Tasks { get; } =
    [
        (new CountingTask(down: false), 3),
        (new CountingTask(down: true), 1),
        (new StringTask(reverse: false), 1),
        (new StringTask(reverse: true), 1),
        (new ArithmeticTask(), 1),
        (new SortTask(), 1),
        (new ToolTask(withObservation: false), 1),
        (new ToolTask(withObservation: true), 1),
        (new MemorisedTask(), 1),
    ];

    /// <summary><paramref name="count"/> examples of <paramref name="split"/> from <paramref name="seed"/>; with
    /// <paramref name="ranges"/> of positive weight, <see cref="CountingRangeTask"/> joins the tasks (null or weight 0:
    /// the corpus is exactly the one without it).</summary>
    public static IReadOnlyList<DemoExample> Generate(int count, int seed, DemoSplit split, CountingRangeRecipe? ranges = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ranges ??= CountingRangeRecipe.None;
        ArgumentOutOfRangeException.ThrowIfNegative(ranges.Weight, nameof(ranges));
        IReadOnlyList<(IDemoTask Task, int Weight)> tasks = ranges.Weight == 0 ? Tasks
            : [.. Tasks, (new CountingRangeTask(ranges.AvoidHeldOut, ranges.StopFirst), ranges.Weight)];
        var random = new Random(seed);
        var examples = new List<DemoExample>(count);
        for (int i = 0; i < count; i++)
            examples.Add(Weighted.Pick(random, tasks).Generate(random, split));
        return examples;
    }

    /// <summary>
    /// The exact-match evaluation set: counting up and down to every held-out N in both phrasings, every memorised
    /// prompt once, and <paramref name="perTask"/> held-out examples of each other task drawn from <paramref name="seed"/>.
    /// </summary>
    public static IReadOnlyList<DemoExample> EvaluationSet(int perTask, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(perTask);
        var random = new Random(seed);
        var examples = new List<DemoExample>();
        foreach (var (task, _) in Tasks)
        {
            switch (task)
            {
                case CountingTask counting:
                    examples.AddRange(counting.All(DemoSplit.HeldOut));
                    break;
                case MemorisedTask:
                    examples.AddRange(MemorisedTask.Answers.Select(a => SingleTurn.Of(task.Name, a.Prompt, a.Answer)));
                    break;
                default:
                    examples.AddRange(Enumerable.Range(0, perTask).Select(_ => task.Generate(random, DemoSplit.HeldOut)));
                    break;
            }
        }
        return examples;
    }
}
