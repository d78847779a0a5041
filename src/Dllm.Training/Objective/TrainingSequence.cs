namespace Dllm.Training.Objective;

/// <summary>One example as token ids: prompt, response and EOS fill up to the end of the response's last block.</summary>
/// <param name="Task">The example's task.</param>
/// <param name="Tokens">Prompt + response + EOS fill; the length is a multiple of the block size.</param>
/// <param name="PromptLength">Tokens of the prompt (never masked).</param>
public sealed record TrainingSequence(string Task, int[] Tokens, int PromptLength);
