namespace Dllm.Runner;

/// <summary>Totals of a <see cref="ProposeProfile"/>; subtract two to measure an interval.</summary>
/// <param name="Forward">Until the step's logits exist (on CUDA: the host's enqueueing).</param>
/// <param name="Sample">Post-processing, sampling and the device-to-host copy (on CUDA: with the wait for the device).</param>
internal readonly record struct ProposeProfileSnapshot(TimeSpan Forward, TimeSpan Sample)
{
    public static ProposeProfileSnapshot operator -(ProposeProfileSnapshot a, ProposeProfileSnapshot b) =>
        new(a.Forward - b.Forward, a.Sample - b.Sample);
}
