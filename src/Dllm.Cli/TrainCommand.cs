using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dllm.Native;
using Dllm.Training;
using Dllm.Training.Tokenizer;
using Microsoft.Extensions.Logging;

namespace Dllm.Cli;

/// <summary>
/// <c>dllm train</c>: trains the small LLaDA2 demo model on the project's generated chat data (block-diffusion SFT,
/// <see cref="DemoModelTrainer"/>) and writes it in the Hugging Face layout the engine loads, plus
/// <c>training_report.json</c> (loss history, held-out loss, per-task exact match) for the docs' figures.
/// </summary>
internal static class TrainCommand
{
    /// <summary>The command with its options and action.</summary>
    public static Command Create()
    {
        var defaults = new TrainingOptions { OutputDirectory = "." };
        var output = new Option<string>("--output", "-o") { Description = "Directory of the final checkpoint (periodic ones in checkpoint-STEP/).", Required = true };
        var seed = new Option<int>("--seed") { Description = "Seed of the data, the initial weights and the noise.", DefaultValueFactory = _ => defaults.Seed };
        var shape = new Option<string>("--shape") { Description = "demo (about 7 M parameters), demo-6 (6 layers, about 10 M) or tiny (tests).", DefaultValueFactory = _ => defaults.Shape };
        var steps = new Option<int>("--steps") { Description = "Optimizer steps.", DefaultValueFactory = _ => defaults.Steps };
        var batch = new Option<int>("--batch-tokens") { Description = "Tokens per step (sequences of one length).", DefaultValueFactory = _ => defaults.BatchTokens };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate (AdamW).", DefaultValueFactory = _ => defaults.LearningRate };
        var warmup = new Option<int>("--warmup") { Description = "Linear warm-up steps, then cosine decay.", DefaultValueFactory = _ => defaults.WarmupSteps };
        var minLr = new Option<double>("--min-lr-ratio") { Description = "Final learning rate as a fraction of the peak.", DefaultValueFactory = _ => defaults.MinLearningRateRatio };
        var decay = new Option<double>("--weight-decay") { Description = "AdamW weight decay (matrices only).", DefaultValueFactory = _ => defaults.WeightDecay };
        var clip = new Option<double>("--grad-clip") { Description = "Global gradient-norm clip.", DefaultValueFactory = _ => defaults.GradientClip };
        var blockSize = new Option<int>("--block-size") { Description = "Diffusion block size.", DefaultValueFactory = _ => defaults.BlockSize };
        var merges = new Option<int>("--bpe-merges") { Description = "BPE merges of the trained tokenizer.", DefaultValueFactory = _ => defaults.BpeMerges };
        var numberDigits = new Option<int>("--number-piece-digits") { Description = "Digits per number piece of the tokenizer's split: 1 (LLaDA2's, every digit apart) to 3 (each number below 1,000 one piece).", DefaultValueFactory = _ => defaults.NumberPieceDigits };
        numberDigits.Validators.Add(result =>
        {
            int digits = result.GetValueOrDefault<int>();
            if (digits is < 1 or > DemoPreTokenizer.MaxDigits)
                result.AddError($"--number-piece-digits {digits} is not 1, 2 or {DemoPreTokenizer.MaxDigits} (digits per number piece of the tokenizer's split).");
        });
        var trainExamples = new Option<int>("--train-examples") { Description = "Generated training examples.", DefaultValueFactory = _ => defaults.TrainExamples };
        var rangeWeight = new Option<int>("--counting-range-weight") { Description = "Sampling weight of counting over random ranges (counting up has 3, other tasks 1); 0: none.", DefaultValueFactory = _ => defaults.CountingRangeWeight };
        var rangesAvoidHeldOut = new Option<bool>("--counting-ranges-avoid-held-out") { Description = "true: no counting range starts or ends at a held-out N (those numbers then appear in no training prompt); false: only the held-out prompts (1 to N, N to 1) are never trained.", DefaultValueFactory = _ => defaults.CountingRangesAvoidHeldOut };
        var rangesStopFirst = new Option<bool>("--counting-ranges-stop-first") { Description = "true: a counting range's stop is drawn first and its start beyond it, so every number ends as many ranges up and down; false: both ends drawn alike.", DefaultValueFactory = _ => defaults.CountingRangesStopFirst };
        var heldOut = new Option<int>("--held-out-examples") { Description = "Generated held-out examples.", DefaultValueFactory = _ => defaults.HeldOutExamples };
        var logInterval = new Option<int>("--log-interval") { Description = "Steps between log lines.", DefaultValueFactory = _ => defaults.LogInterval };
        var evalInterval = new Option<int>("--eval-interval") { Description = "Steps between held-out evaluations.", DefaultValueFactory = _ => defaults.EvalInterval };
        var checkpointInterval = new Option<int>("--checkpoint-interval") { Description = "Steps between checkpoints (each scored by exact match through the engine).", DefaultValueFactory = _ => defaults.CheckpointInterval };
        var exactMatch = new Option<int>("--exact-match-per-task") { Description = "Held-out prompts per generated task in each exact-match evaluation (besides every held-out count and memorised prompt); -1: none.", DefaultValueFactory = _ => defaults.ExactMatchPerTask };
        var device = CommonOptions.Device();
        var dtype = new Option<string>("--checkpoint-dtype") { Description = "bfloat16 or float32 weights in the checkpoint.", DefaultValueFactory = _ => defaults.CheckpointDType };
        var fullMask = new Option<double>("--full-mask-fraction") { Description = "Fraction of training blocks masked whole (t = 1), 0..1; 0: the plain objective.", DefaultValueFactory = _ => defaults.FullMaskFraction };
        fullMask.Validators.Add(result =>
        {
            double fraction = result.GetValueOrDefault<double>();
            if (fraction is < 0 or > 1 || double.IsNaN(fraction))
                result.AddError($"--full-mask-fraction {fraction.ToString(System.Globalization.CultureInfo.InvariantCulture)} is not in 0..1 (the fraction of training blocks masked whole).");
        });
        var tf32 = new Option<bool>("--tf32") { Description = "true: float32 matmuls on CUDA use TF32 tensor cores (faster; the demo model's recipe); false: full float32 products.", DefaultValueFactory = _ => defaults.Tf32 };
        var deterministic = new Option<bool>("--deterministic") { Description = "true: CUDA training is bit-reproducible (libtorch's deterministic algorithms, cuBLAS's fixed workspace); false: atomics in the backward, runs of one command differ.", DefaultValueFactory = _ => defaults.Deterministic };
        var libTorchDir = CommonOptions.LibTorchDir();
        var command = new Command("train", "Train the small LLaDA2 demo model on generated chat data and write it as a Hugging Face checkpoint.")
        {
            output, seed, shape, steps, batch, lr, warmup, minLr, decay, clip, blockSize, merges, numberDigits, trainExamples, rangeWeight, rangesAvoidHeldOut, rangesStopFirst, heldOut,
            logInterval, evalInterval, checkpointInterval, exactMatch, device, dtype, fullMask, tf32, deterministic, libTorchDir,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var logging = CliLogging.Create();
            var logger = logging.CreateLogger("dllm.train");
            TorchBackend.Initialize(new TorchBackendOptions { LibTorchDirectory = parse.GetValue(libTorchDir) }, logger);
            var options = new TrainingOptions
            {
                OutputDirectory = parse.GetValue(output)!,
                Seed = parse.GetValue(seed),
                Shape = parse.GetValue(shape)!,
                Steps = parse.GetValue(steps),
                BatchTokens = parse.GetValue(batch),
                LearningRate = parse.GetValue(lr),
                WarmupSteps = parse.GetValue(warmup),
                MinLearningRateRatio = parse.GetValue(minLr),
                WeightDecay = parse.GetValue(decay),
                GradientClip = parse.GetValue(clip),
                BlockSize = parse.GetValue(blockSize),
                BpeMerges = parse.GetValue(merges),
                NumberPieceDigits = parse.GetValue(numberDigits),
                TrainExamples = parse.GetValue(trainExamples),
                CountingRangeWeight = parse.GetValue(rangeWeight),
                CountingRangesAvoidHeldOut = parse.GetValue(rangesAvoidHeldOut),
                CountingRangesStopFirst = parse.GetValue(rangesStopFirst),
                HeldOutExamples = parse.GetValue(heldOut),
                LogInterval = parse.GetValue(logInterval),
                EvalInterval = parse.GetValue(evalInterval),
                CheckpointInterval = parse.GetValue(checkpointInterval),
                ExactMatchPerTask = parse.GetValue(exactMatch),
                Device = parse.GetValue(device)!,
                CheckpointDType = parse.GetValue(dtype)!,
                FullMaskFraction = parse.GetValue(fullMask),
                Tf32 = parse.GetValue(tf32),
                Deterministic = parse.GetValue(deterministic),
            };
            var report = await DemoModelTrainer.RunAsync(options, logging, cancellationToken).ConfigureAwait(false);
            string reportPath = Path.Combine(report.OutputDirectory, "training_report.json");
            await File.WriteAllTextAsync(reportPath, ToJson(report).ToJsonString(new JsonSerializerOptions { WriteIndented = true }), cancellationToken).ConfigureAwait(false);
            logger.Trained(report.ParameterCount, report.OutputDirectory, reportPath);
            return 0;
        });
        return command;
    }

    private static JsonObject ToJson(TrainingReport report) => new()
    {
        ["parameters"] = report.ParameterCount,
        ["train_loss"] = new JsonArray([.. report.TrainLoss.Select(p => (JsonNode?)new JsonArray(p.Step, Round(p.Loss)))]),
        ["held_out_loss"] = new JsonArray([.. report.HeldOutLoss.Select(p => (JsonNode?)new JsonArray(p.Step, Round(p.Loss)))]),
        ["exact_match"] = report.ExactMatch is not { } em ? null : new JsonObject
        {
            ["step"] = em.Step,
            ["accuracy"] = Round(em.Accuracy),
            ["tasks"] = JsonSerializer.SerializeToNode(em.Tasks),
        },
    };

    private static double Round(double value) => double.Parse(value.ToString("G6", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
