namespace Dllm.Training.Evaluation;

/// <summary>Exact match of one task on held-out prompts.</summary>
/// <param name="Task">The task.</param>
/// <param name="Prompts">Prompts decoded.</param>
/// <param name="Correct">Answers equal to the expected text.</param>
/// <param name="TokensPerForward">Generated tokens per denoising step, on average.</param>
public sealed record TaskScore(string Task, int Prompts, int Correct, double TokensPerForward)
{
    /// <summary>Correct / prompts.</summary>
    public double Accuracy => Prompts == 0 ? 0 : (double)Correct / Prompts;
}
