using Dllm.Decoding;
using Dllm.Training.Data;
using Microsoft.Extensions.Logging;

namespace Dllm.Training.Evaluation;

/// <summary>
/// Decodes held-out prompts with the real <see cref="DllmEngine"/> from a checkpoint directory (the engine's default
/// algorithm, LowConfidence at its default threshold and block size; greedy; stopping at <c>&lt;|role_end|&gt;</c> or
/// EOS) and compares the text (special tokens skipped) with the expected answer, exactly.
/// </summary>
public static class ExactMatchEvaluator
{
    /// <summary>Evaluates <paramref name="examples"/> against the checkpoint in <paramref name="modelPath"/>.</summary>
    public static async Task<ExactMatchReport> EvaluateAsync(string modelPath, IReadOnlyList<DemoExample> examples, string device, int step, ILoggerFactory? loggerFactory, CancellationToken cancellationToken)
    {
        await using var engine = await DllmEngine.CreateAsync(new DllmEngineOptions { ModelPath = modelPath, Device = device, CudaGraphs = false }, loggerFactory, cancellationToken);
        var tokenizer = engine.Tokenizer;
        var requests = examples.Select(e => GenerateRequest.FromIds(e.Prompt.Encode(tokenizer), new SamplingParams
        {
            Temperature = 0,
            MaxNewTokens = tokenizer.Encode(e.Response).Length + engine.BlockSize,
            StopTokenIds = [tokenizer.RoleEndTokenId],
        })).ToList();
        var results = await engine.GenerateAsync(requests, cancellationToken);
        var scores = examples.Zip(results).GroupBy(p => p.First.Task).Select(g => new TaskScore(
            g.Key,
            g.Count(),
            g.Count(p => p.Second.Text == p.First.Answer),
            (double)g.Sum(p => p.Second.CompletionTokens) / Math.Max(1, g.Sum(p => p.Second.DenoisingSteps)))).OrderBy(s => s.Task).ToList();
        var samples = examples.Zip(results).GroupBy(p => p.First.Task).Select(g => (g.Key, g.First().First.Answer, g.First().Second.Text)).ToList();
        return new ExactMatchReport(step, scores, samples);
    }
}
