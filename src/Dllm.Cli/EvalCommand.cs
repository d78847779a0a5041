using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dllm.Checkpoints;
using Dllm.Model;
using Dllm.Native;
using Dllm.Tokenization;
using Dllm.Training.Data;
using Dllm.Training.Evaluation;
using Microsoft.Extensions.Logging;

namespace Dllm.Cli;

/// <summary>
/// <c>dllm eval</c>: decodes the demo model's held-out evaluation set (<see cref="DemoCorpus.EvaluationSet"/>) from a
/// trained checkpoint with LowConfidence at several thresholds and block sizes (<see cref="DecodingSweep"/>), prints
/// the exact match and tokens per forward of each task as a Markdown table and writes them as JSON.
/// </summary>
internal static class EvalCommand
{
    /// <summary>The command with its options and action.</summary>
    public static Command Create()
    {
        var modelPath = new Option<string>("--model-path") { Description = "The trained checkpoint directory.", Required = true };
        var perTask = new Option<int>("--per-task") { Description = "Held-out prompts per generated task (besides every held-out count and memorised prompt).", DefaultValueFactory = _ => 20 };
        var seed = new Option<int>("--seed") { Description = "Seed of the held-out prompts.", DefaultValueFactory = _ => 4 };
        var thresholds = new Option<string>("--thresholds") { Description = "Comma-separated LowConfidence thresholds.", DefaultValueFactory = _ => string.Join(',', DecodingSweep.DefaultThresholds.Select(t => t.ToString(CultureInfo.InvariantCulture))) };
        var blockSizes = new Option<string>("--block-sizes") { Description = "Comma-separated block sizes.", DefaultValueFactory = _ => string.Join(',', DecodingSweep.DefaultBlockSizes) };
        var output = new Option<string?>("--output", "-o") { Description = "Where to write the rows as JSON." };
        var misses = new Option<bool>("--show-misses") { Description = "true: log every answer that does not match, with the expected one." };
        var device = CommonOptions.Device();
        var libTorchDir = CommonOptions.LibTorchDir();
        var command = new Command("eval", "Score a trained demo checkpoint on held-out prompts at several LowConfidence thresholds and block sizes.")
        {
            modelPath, perTask, seed, thresholds, blockSizes, output, misses, device, libTorchDir,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var logging = CliLogging.Create();
            var logger = logging.CreateLogger("dllm.eval");
            if (!TryParseList(parse.GetValue(thresholds)!, s => double.Parse(s, CultureInfo.InvariantCulture), out var thresholdList)
                || thresholdList.Any(t => t is < 0 or > 1))
                return Fail("--thresholds: expected comma-separated numbers in 0..1");
            if (!TryParseList(parse.GetValue(blockSizes)!, s => int.Parse(s, CultureInfo.InvariantCulture), out var blockList) || blockList.Any(b => b < 1))
                return Fail("--block-sizes: expected comma-separated positive integers");
            string model = parse.GetValue(modelPath)!;
            if (!Directory.Exists(model))
                return Fail($"--model-path {model}: no such directory (a trained checkpoint: config.json, model.safetensors, tokenizer.json)");
            TorchBackend.Initialize(new TorchBackendOptions { LibTorchDirectory = parse.GetValue(libTorchDir) }, logger);
            var examples = DemoCorpus.EvaluationSet(parse.GetValue(perTask), parse.GetValue(seed));
            IReadOnlyList<SweepRow> rows;
            try
            {
                rows = await DecodingSweep.RunAsync(Path.GetFullPath(model), examples, parse.GetValue(device)!, thresholdList, blockList, logger, cancellationToken, parse.GetValue(misses)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ArgumentException or IOException or CheckpointException or ModelConfigException or TokenizerException)
            {
                return Fail($"--model-path {model}: {ex.Message}");
            }
            Console.Out.Write(ToMarkdown(rows));
            if (parse.GetValue(output) is { } path)
                await File.WriteAllTextAsync(path, JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true }), cancellationToken).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    /// <summary>The rows as a Markdown table: one row per setting, exact match (tokens per forward) per task.</summary>
    internal static string ToMarkdown(IReadOnlyList<SweepRow> rows)
    {
        var tasks = rows.SelectMany(r => r.Tasks.Select(t => t.Task)).Distinct().ToList();
        var text = new StringBuilder();
        text.AppendLine($"| threshold | block | {string.Join(" | ", tasks)} |");
        text.AppendLine($"|---|---|{string.Concat(tasks.Select(_ => "---|"))}");
        foreach (var row in rows)
        {
            var cells = tasks.Select(task => row.Tasks.FirstOrDefault(t => t.Task == task) is { } s
                ? string.Create(CultureInfo.InvariantCulture, $"{s.Accuracy * 100:F0} % ({s.TokensPerForward:F1})")
                : "");
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {row.Threshold} | {row.BlockSize} | {string.Join(" | ", cells)} |"));
        }
        return text.ToString();
    }

    private static bool TryParseList<T>(string text, Func<string, T> parse, out List<T> values)
    {
        values = [];
        try
        {
            values = [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(parse)];
            return values.Count > 0;
        }
        catch (Exception ex) when (ex is FormatException or OverflowException)
        {
            return false;
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"dllm eval: {message}");
        return 2;
    }
}
