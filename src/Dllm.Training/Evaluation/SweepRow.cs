namespace Dllm.Training.Evaluation;

/// <summary>One setting of a <see cref="DecodingSweep"/>.</summary>
/// <param name="Threshold">LowConfidence's confidence threshold.</param>
/// <param name="BlockSize">The diffusion block size.</param>
/// <param name="Tasks">Exact match and tokens per forward of each task.</param>
public sealed record SweepRow(double Threshold, int BlockSize, IReadOnlyList<TaskScore> Tasks);
