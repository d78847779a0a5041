using System.CommandLine;
using Dllm.Checkpoints;
using Dllm.Model;
using Dllm.Native;
using Dllm.Tokenization;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace Dllm.Cli;

/// <summary><c>dllm synth</c>: writes a synthetic LLaDA2 checkpoint directory (HF layout, random weights).</summary>
internal static class SynthCommand
{
    /// <summary>The command with its options and action.</summary>
    public static Command Create()
    {
        var output = new Option<string>("--output", "-o") { Description = "Directory to write.", Required = true };
        var shape = new Option<string>("--shape") { Description = "tiny[-N], mini[-N], flash[-N] (N = layers).", DefaultValueFactory = _ => "tiny" };
        var layout = new Option<SyntheticTokenizerLayout>("--tokenizer") { Description = "Realistic (real special ids, vocab 157184) or Compact (small vocab).", DefaultValueFactory = _ => SyntheticTokenizerLayout.Realistic };
        var dtype = new Option<string>("--dtype") { Description = "bfloat16, float16 or float32.", DefaultValueFactory = _ => "bfloat16" };
        var seed = new Option<long>("--seed") { Description = "Random seed of the weights.", DefaultValueFactory = _ => 1 };
        var shardGb = new Option<double>("--max-shard-gb") { Description = "Largest safetensors shard, GB.", DefaultValueFactory = _ => 5.0 };
        var sharpness = new Option<double>("--logit-sharpness") { Description = "Scale of the final norm (1 = random model; ~200 = a peaked model that commits several tokens per step).", DefaultValueFactory = _ => 1.0 };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing checkpoint in the directory." };
        var command = new Command("synth", "Write a synthetic LLaDA2 checkpoint (config.json, safetensors, tokenizer.json) with seeded random weights.")
        {
            output, shape, layout, dtype, seed, shardGb, sharpness, overwrite,
        };
        command.SetAction(parse =>
        {
            using var logging = CliLogging.Create();
            var logger = logging.CreateLogger("dllm.synth");
            TorchBackend.Initialize(logger: logger);
            var scalar = DTypes.Parse(parse.GetValue(dtype)!, "--dtype");
            var config = SyntheticModelDirectory.Write(parse.GetValue(output)!, LLaDA2Shapes.ByName(parse.GetValue(shape)!), parse.GetValue(layout), new SyntheticCheckpointOptions
            {
                Seed = parse.GetValue(seed),
                DType = scalar,
                MaxShardBytes = (long)(parse.GetValue(shardGb) * 1e9),
                Overwrite = parse.GetValue(overwrite),
                LogitSharpness = parse.GetValue(sharpness),
                Progress = new ThrottledProgress(20, p =>
                    logger.SynthProgress(p.TensorsDone, p.TensorsTotal, p.BytesDone / 1e9, p.BytesTotal / 1e9)),
            });
            Console.WriteLine($"wrote {parse.GetValue(output)}: {parse.GetValue(shape)} ({new LLaDA2CheckpointLayout(config).ParameterCount:N0} parameters), vocab {config.VocabSize}, {scalar}");
            return 0;
        });
        return command;
    }
}
