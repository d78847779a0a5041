using Dllm.Training.Evaluation;

namespace Dllm.Training;

/// <summary>What a run produced.</summary>
/// <param name="OutputDirectory">The final checkpoint.</param>
/// <param name="ParameterCount">Parameters of the model.</param>
/// <param name="TrainLoss">(step, training loss) at every step.</param>
/// <param name="HeldOutLoss">(step, held-out loss) at every evaluation.</param>
/// <param name="ExactMatch">The last exact-match evaluation through the engine (null when none ran).</param>
public sealed record TrainingReport(
    string OutputDirectory,
    long ParameterCount,
    IReadOnlyList<(int Step, double Loss)> TrainLoss,
    IReadOnlyList<(int Step, double Loss)> HeldOutLoss,
    ExactMatchReport? ExactMatch);
