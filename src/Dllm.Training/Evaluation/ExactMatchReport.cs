namespace Dllm.Training.Evaluation;

/// <summary>Per-task exact match of a checkpoint, decoded by the engine.</summary>
/// <param name="Step">The training step of the checkpoint.</param>
/// <param name="Tasks">One score per task.</param>
/// <param name="Misses">Every (task, expected, generated) triple that did not match, in the evaluation set's order.</param>
public sealed record ExactMatchReport(int Step, IReadOnlyList<TaskScore> Tasks, IReadOnlyList<(string Task, string Expected, string Generated)> Misses)
{
    /// <summary>Correct / prompts over every task.</summary>
    public double Accuracy => Tasks.Sum(t => t.Prompts) == 0 ? 0 : (double)Tasks.Sum(t => t.Correct) / Tasks.Sum(t => t.Prompts);
}
