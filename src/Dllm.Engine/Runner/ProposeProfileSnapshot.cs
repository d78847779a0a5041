namespace Dllm.Runner;

/// <summary>Totals of a <see cref="ProposeProfile"/>; subtract two to measure an interval.</summary>
/// <param name="Forward">Until the step's logits exist (on CUDA: the host's enqueueing).</param>
/// <param name="Inputs">Of <paramref name="Forward"/>, the host's layout of the forwards' inputs and their copies.</param>
/// <param name="Sample">Post-processing, sampling and the device-to-host copy (on CUDA: with the wait for the device).</param>
internal readonly record struct ProposeProfileSnapshot(TimeSpan Forward, TimeSpan Inputs, TimeSpan Sample)
{
    public static ProposeProfileSnapshot operator -(ProposeProfileSnapshot a, ProposeProfileSnapshot b) =>
        new(a.Forward - b.Forward, a.Inputs - b.Inputs, a.Sample - b.Sample);
}
