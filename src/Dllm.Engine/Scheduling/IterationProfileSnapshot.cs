namespace Dllm.Scheduling;

/// <summary>Totals of an <see cref="IterationProfile"/>; subtract two to measure an interval.</summary>
internal readonly record struct IterationProfileSnapshot(TimeSpan Admit, TimeSpan Step, TimeSpan Resolve, long Steps)
{
    public static IterationProfileSnapshot operator -(IterationProfileSnapshot a, IterationProfileSnapshot b) =>
        new(a.Admit - b.Admit, a.Step - b.Step, a.Resolve - b.Resolve, a.Steps - b.Steps);
}
