namespace Dllm.Training.Data;

/// <summary>Draws one item of a list in proportion to its weight.</summary>
internal static class Weighted
{
    /// <summary>An item of <paramref name="items"/>, each drawn with probability weight / (sum of weights); one draw of
    /// <paramref name="random"/>.</summary>
    public static T Pick<T>(Random random, IReadOnlyList<(T Item, int Weight)> items)
    {
        int pick = random.Next(items.Sum(i => i.Weight));
        return items.First(i => (pick -= i.Weight) < 0).Item;
    }
}
