namespace Dllm.Training.Data;

/// <summary>How counting over random ranges (<see cref="CountingRangeTask"/>) joins the generated data.</summary>
/// <param name="Weight">Its sampling weight (counting up has 3, the other tasks 1); 0 leaves it out, and the corpus is then
/// exactly the one without it.</param>
/// <param name="AvoidHeldOut">Keep the held-out N out of every range's ends (<see cref="TrainingOptions.CountingRangesAvoidHeldOut"/>).</param>
/// <param name="StopFirst">Draw the range's stop first (<see cref="TrainingOptions.CountingRangesStopFirst"/>); otherwise
/// both ends alike.</param>
public sealed record CountingRangeRecipe(int Weight, bool AvoidHeldOut = false, bool StopFirst = false)
{
    /// <summary>No counting ranges.</summary>
    public static CountingRangeRecipe None { get; } = new(0);

    /// <summary>The recipe of <paramref name="options"/>.</summary>
    public static CountingRangeRecipe Of(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(options.CountingRangeWeight, options.CountingRangesAvoidHeldOut, options.CountingRangesStopFirst);
    }
}
