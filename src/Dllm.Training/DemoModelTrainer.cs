using System.Diagnostics;
using Dllm.Model;
using Dllm.Native;
using Dllm.Tokenization;
using Dllm.Training.Checkpoints;
using Dllm.Training.Data;
using Dllm.Training.Evaluation;
using Dllm.Training.Objective;
using Dllm.Training.Optimization;
using Dllm.Training.Tokenizer;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Training;

/// <summary>
/// Trains the demo model end to end: generates the data (<see cref="DemoCorpus"/>), trains the tokenizer
/// (<see cref="BpeTrainer"/>), builds the engine's own <see cref="LLaDA2Model"/> with seeded random weights as a
/// trainable model, and runs block-diffusion SFT (<see cref="BlockDiffusionBatch"/>) with AdamW, warm-up + cosine,
/// gradient clipping; logs loss, learning rate and tokens/s, evaluates held-out loss, writes checkpoints in the HF
/// layout and scores them by exact match through <see cref="DllmEngine"/>.
/// </summary>
public static class DemoModelTrainer
{
    /// <summary>How many training examples the tokenizer is trained on.</summary>
    private const int TokenizerExamples = 4000;

    /// <summary>Runs the training of <paramref name="options"/>.</summary>
    public static async Task<TrainingReport> RunAsync(TrainingOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        loggerFactory ??= NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger(typeof(DemoModelTrainer));
        var backend = TorchBackend.Initialize(logger: logger);
        var device = TorchDevices.Resolve(options.Device, backend);
        var storedType = options.CheckpointDType switch
        {
            "bfloat16" => ScalarType.BFloat16,
            "float32" => ScalarType.Float32,
            _ => throw new ArgumentException($"checkpoint dtype '{options.CheckpointDType}' is not one of: bfloat16, float32.", nameof(options)),
        };

        var ranges = CountingRangeRecipe.Of(options);
        var train = DemoCorpus.Generate(options.TrainExamples, options.Seed, DemoSplit.Train, ranges);
        var heldOut = DemoCorpus.Generate(options.HeldOutExamples, options.Seed + 1, DemoSplit.HeldOut, ranges);
        var vocabulary = BpeTrainer.Train(train.Take(TokenizerExamples).Select(e => e.Prompt.Text + e.Response), options.BpeMerges,
            preTokenizerPattern: DemoPreTokenizer.Pattern(options.NumberPieceDigits));
        LladaTokenizer tokenizer = DemoTokenizerFiles.Write(options.OutputDirectory, vocabulary);
        var config = DemoModelShapes.ByName(options.Shape, tokenizer);
        var encoder = new SequenceEncoder(tokenizer, options.BlockSize);
        var trainSequences = train.Select(encoder.Encode).ToList();
        var heldOutSequences = heldOut.Select(encoder.Encode).ToList();
        long parameters = new Dllm.Checkpoints.LLaDA2CheckpointLayout(config).ParameterCount;
        logger.TrainingStarted(parameters, config.VocabSize, vocabulary.Merges.Count, trainSequences.Count, heldOutSequences.Count, trainSequences.Max(s => s.Tokens.Length), device);

        using var tf32 = Tf32Matmuls.On(options.Tf32, device);
        if (tf32 is not null)
            logger.Tf32Matmuls(device);
        using var deterministic = DeterministicAlgorithms.On(options.Deterministic, device);
        if (deterministic is not null)
            logger.DeterministicAlgorithms(device, deterministic.CublasWorkspace);
        torch.random.manual_seed(options.Seed);
        using var model = LLaDA2Model.LoadTrainable(config, new RandomWeightSource(options.Seed), device, loggerFactory.CreateLogger<LLaDA2Model>());
        var trainable = model.TrainableTensors;
        using var optimizer = new AdamW(trainable, weightDecay: options.WeightDecay);
        var schedule = new LearningRateSchedule(options.LearningRate, options.WarmupSteps, options.Steps, options.MinLearningRateRatio);
        var random = new Random(options.Seed);
        var sampler = new LengthBucketSampler(trainSequences, options.BatchTokens);
        var evaluationSet = options.ExactMatchPerTask < 0 ? [] : DemoCorpus.EvaluationSet(options.ExactMatchPerTask, options.Seed + 3);
        var trainLoss = new List<(int, double)>();
        var heldOutLoss = new List<(int, double)>();
        ExactMatchReport? exactMatch = null;
        var watch = Stopwatch.StartNew();
        long tokensSinceLog = 0;
        double lossSinceLog = 0;

        for (int step = 1; step <= options.Steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var sequences = sampler.Next(random);
            var batch = BlockDiffusionBatch.Build(sequences, options.BlockSize, config.MaskTokenId, config.EosTokenId, random, options.FullMaskFraction);
            double lr = schedule.At(step), loss, norm;
            using (var scope = NewDisposeScope())
            {
                var logits = model.TrainingForward(batch.TokenIds, batch.Positions, batch.Mask, batch.BatchSize, 2 * batch.Length);
                var value = BlockDiffusionLoss.Compute(logits, batch);
                value.backward();
                loss = value.item<float>();
                norm = optimizer.ClipGradients(options.GradientClip);
                optimizer.Step(lr);
            }
            trainLoss.Add((step, loss));
            tokensSinceLog += batch.ForwardTokens;
            lossSinceLog += loss;
            if (step % options.LogInterval == 0 || step == options.Steps)
            {
                int steps = step % options.LogInterval == 0 ? options.LogInterval : step % options.LogInterval;
                logger.TrainingStep(step, options.Steps, lossSinceLog / steps, lr, norm, tokensSinceLog / Math.Max(1e-9, watch.Elapsed.TotalSeconds));
                tokensSinceLog = 0;
                lossSinceLog = 0;
                watch.Restart();
            }
            bool last = step == options.Steps;
            if (last || (options.EvalInterval > 0 && step % options.EvalInterval == 0))
            {
                double value = HeldOutLoss(model, heldOutSequences, options, config);
                heldOutLoss.Add((step, value));
                logger.HeldOutLoss(step, value);
            }
            if (last || (options.CheckpointInterval > 0 && step % options.CheckpointInterval == 0))
            {
                string directory = last ? options.OutputDirectory : Path.Combine(options.OutputDirectory, $"checkpoint-{step}");
                DemoCheckpointWriter.Write(directory, model, vocabulary, storedType, options, step);
                logger.CheckpointWritten(step, directory);
                if (evaluationSet.Count > 0)
                {
                    exactMatch = await ExactMatchEvaluator.EvaluateAsync(directory, evaluationSet, options.Device, step, null, cancellationToken);
                    foreach (var score in exactMatch.Tasks)
                        logger.ExactMatch(step, score.Task, score.Correct, score.Prompts, score.Accuracy, score.TokensPerForward);
                    // The first miss of each task: a sample for the log (dllm eval --show-misses lists them all).
                    foreach (var (task, expected, generated) in exactMatch.Misses.DistinctBy(m => m.Task))
                        logger.ExactMatchMiss(step, task, MissText.Shorten(expected), MissText.Shorten(generated));
                }
                watch.Restart();
            }
        }
        return new TrainingReport(options.OutputDirectory, parameters, trainLoss, heldOutLoss, exactMatch);
    }

    /// <summary>The objective on the held-out sequences with fixed noise (same every evaluation), without autograd.</summary>
    private static double HeldOutLoss(LLaDA2Model model, IReadOnlyList<TrainingSequence> sequences, TrainingOptions options, LLaDA2Config config)
    {
        using var noGrad = no_grad();
        var random = new Random(options.Seed + 2);
        double total = 0;
        int responseTokens = 0;
        foreach (var chunk in LengthBucketSampler.Chunks(sequences, options.BatchTokens))
        {
            using var scope = NewDisposeScope();
            var batch = BlockDiffusionBatch.Build(chunk, options.BlockSize, config.MaskTokenId, config.EosTokenId, random);
            var logits = model.TrainingForward(batch.TokenIds, batch.Positions, batch.Mask, batch.BatchSize, 2 * batch.Length);
            total += BlockDiffusionLoss.Compute(logits, batch).item<float>() * batch.ResponseTokens;
            responseTokens += batch.ResponseTokens;
        }
        return total / Math.Max(1, responseTokens);
    }
}
