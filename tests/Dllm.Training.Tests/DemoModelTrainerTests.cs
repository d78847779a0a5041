using Dllm.Checkpoints;
using Dllm.Decoding;
using Dllm.Training.Data;
using Dllm.Training.Evaluation;
using Xunit.Abstractions;

namespace Dllm.Training.Tests;

public sealed class DemoModelTrainerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_short_cpu_run_lowers_the_loss_and_writes_a_checkpoint_the_engine_serves()
    {
        using var dir = new TempDirectory();
        var options = new TrainingOptions
        {
            OutputDirectory = dir.Path, Shape = "tiny", Seed = 7, Steps = 50, BatchTokens = 384, LearningRate = 1e-2, WarmupSteps = 5,
            BlockSize = 16, BpeMerges = 200, TrainExamples = 200, HeldOutExamples = 8, LogInterval = 10, EvalInterval = 25,
            CheckpointInterval = 0, ExactMatchPerTask = -1, Device = "cpu", CheckpointDType = "float32",
        };
        var report = await DemoModelTrainer.RunAsync(options);

        output.WriteLine(string.Join(" ", report.TrainLoss.Where(l => l.Step % 5 == 0).Select(l => $"{l.Step}:{l.Loss:F3}")));
        output.WriteLine(string.Join(" ", report.HeldOutLoss.Select(l => $"held-out {l.Step}:{l.Loss:F3}")));
        double first = report.TrainLoss.Take(5).Average(l => l.Loss), last = report.TrainLoss.TakeLast(5).Average(l => l.Loss);
        Assert.True(last < first * 0.8, $"training loss {first:F3} -> {last:F3}");
        Assert.Equal(2, report.HeldOutLoss.Count);
        Assert.True(report.HeldOutLoss[1].Loss < report.HeldOutLoss[0].Loss * 1.5);
        Assert.Null(report.ExactMatch);
        foreach (string file in new[] { "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "training_args.json" })
            Assert.True(File.Exists(Path.Combine(dir.Path, file)), file);

        await using var engine = await DllmEngine.CreateAsync(new DllmEngineOptions { ModelPath = dir.Path, Device = "cpu" });
        Assert.Equal(report.ParameterCount, new LLaDA2CheckpointLayout(engine.ModelConfig).ParameterCount);
        Assert.Equal(engine.Tokenizer.MaskTokenId, engine.ModelConfig.MaskTokenId);
        var prompt = new CountingTask(down: false).ForCount(3).Prompt.Encode(engine.Tokenizer);
        var result = await engine.GenerateAsync(GenerateRequest.FromIds(prompt, new SamplingParams { MaxNewTokens = 16 }));
        Assert.InRange(result.CompletionTokens, 1, 16);

        // The evaluator decodes through the engine too (short tasks: an untrained model writes to the token limit).
        var examples = Enumerable.Range(0, 3).Select(i => new ArithmeticTask().Generate(new Random(i), DemoSplit.HeldOut))
            .Append(new MemorisedTask().Generate(new Random(0), DemoSplit.HeldOut)).ToList();
        var exact = await ExactMatchEvaluator.EvaluateAsync(dir.Path, examples, "cpu", 50, null, CancellationToken.None);
        Assert.Equal(["arithmetic", "memorised"], exact.Tasks.Select(t => t.Task));
        Assert.Equal([3, 1], exact.Tasks.Select(t => t.Prompts));
        Assert.All(exact.Tasks, t => Assert.True(t.TokensPerForward > 0));
        // Misses: exactly the examples scored wrong, each with its expected answer, in the set's order.
        Assert.Equal(exact.Tasks.Sum(t => t.Prompts - t.Correct), exact.Misses.Count);
        Assert.All(exact.Misses, m => Assert.NotEqual(m.Expected, m.Generated));
        Assert.Equal(examples.Where(e => exact.Misses.Any(m => m.Expected == e.Answer)).Select(e => e.Answer), exact.Misses.Select(m => m.Expected));
    }
}
