namespace Dllm.Training.Data;

/// <summary>Sorting 3..8 numbers below 100: <c>Sort in ascending order: 5, 3, 9</c> → <c>3, 5, 9</c>.</summary>
public sealed class SortTask : IDemoTask
{
    /// <inheritdoc />
    public string Name => "sort";

    /// <inheritdoc />
    public DemoExample Generate(Random random, DemoSplit split) => HeldOutRule.Draw(random, split, r =>
    {
        int[] numbers = RandomText.Numbers(r, 3, 8);
        string user = $"Sort in ascending order: {string.Join(", ", numbers)}";
        return (user, SingleTurn.Of(Name, user, string.Join(", ", numbers.Order())));
    });
}
