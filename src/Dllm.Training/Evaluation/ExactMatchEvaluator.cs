using Dllm.Decoding;
using Dllm.Training.Data;
using Microsoft.Extensions.Logging;

namespace Dllm.Training.Evaluation;

/// <summary>
/// Decodes held-out prompts with the real <see cref="DllmEngine"/> from a checkpoint directory (the engine's default
/// algorithm, LowConfidence at its default threshold and block size; greedy; stopping at <c>&lt;|role_end|&gt;</c> or
/// EOS) and compares the answer (the output up to the end of turn, decoded with its control tokens, so that a tool
/// call's <c>&lt;tool_call&gt;</c> counts) with the expected answer, exactly.
/// </summary>
public static class ExactMatchEvaluator
{
    /// <summary>Evaluates <paramref name="examples"/> against the checkpoint in <paramref name="modelPath"/>.</summary>
    /// <param name="modelPath">The checkpoint directory.</param>
    /// <param name="examples">The prompts and their expected answers.</param>
    /// <param name="device">The engine's device.</param>
    /// <param name="step">The training step of the checkpoint (for the report).</param>
    /// <param name="loggerFactory">The engine's logging.</param>
    /// <param name="cancellationToken">Stops the evaluation.</param>
    public static async Task<ExactMatchReport> EvaluateAsync(string modelPath, IReadOnlyList<DemoExample> examples, string device, int step, ILoggerFactory? loggerFactory, CancellationToken cancellationToken)
    {
        await using var engine = await CreateEngineAsync(modelPath, device, loggerFactory, cancellationToken);
        return await EvaluateAsync(engine, examples, step, threshold: null, blockSize: null, cancellationToken);
    }

    /// <summary>The engine an evaluation decodes with (greedy requests, many at once, no CUDA graphs).</summary>
    public static Task<DllmEngine> CreateEngineAsync(string modelPath, string device, ILoggerFactory? loggerFactory, CancellationToken cancellationToken) =>
        DllmEngine.CreateAsync(new DllmEngineOptions { ModelPath = modelPath, Device = device, CudaGraphs = false, MaxRunningRequests = 64 }, loggerFactory, cancellationToken);

    /// <summary>Evaluates <paramref name="examples"/> on <paramref name="engine"/>, with the requests' own LowConfidence
    /// threshold and block size when given (null: the engine's).</summary>
    public static async Task<ExactMatchReport> EvaluateAsync(DllmEngine engine, IReadOnlyList<DemoExample> examples, int step, double? threshold, int? blockSize, CancellationToken cancellationToken)
    {
        var tokenizer = engine.Tokenizer;
        var requests = examples.Select(e => new GenerateRequest
        {
            InputIds = e.Prompt.Encode(tokenizer),
            Threshold = threshold,
            BlockSize = blockSize,
            Sampling = new SamplingParams
            {
                Temperature = 0,
                MaxNewTokens = tokenizer.Encode(e.Response).Length + (blockSize ?? engine.BlockSize),
                StopTokenIds = [tokenizer.RoleEndTokenId],
            },
        }).ToList();
        var results = (await engine.GenerateAsync(requests, cancellationToken)).Select(r => new Decoded(r, AnswerText(tokenizer, r))).ToList();
        var scores = examples.Zip(results).GroupBy(p => p.First.Task).Select(g => new TaskScore(
            g.Key,
            g.Count(),
            g.Count(p => p.Second.Answer == p.First.Answer),
            (double)g.Sum(p => p.Second.Result.CompletionTokens) / Math.Max(1, g.Sum(p => p.Second.Result.DenoisingSteps)))).OrderBy(s => s.Task).ToList();
        var misses = examples.Zip(results).Where(p => p.Second.Answer != p.First.Answer).Select(p => (p.First.Task, p.First.Answer, p.Second.Answer)).ToList();
        return new ExactMatchReport(step, scores, misses);
    }

    /// <summary>The output up to <c>&lt;|role_end|&gt;</c> or EOS, decoded with its control tokens.</summary>
    public static string AnswerText(Tokenization.LladaTokenizer tokenizer, GenerationResult result) =>
        tokenizer.Decode(result.OutputIds.TakeWhile(id => id != tokenizer.RoleEndTokenId && id != tokenizer.EosTokenId));

    private sealed record Decoded(GenerationResult Result, string Answer);
}
