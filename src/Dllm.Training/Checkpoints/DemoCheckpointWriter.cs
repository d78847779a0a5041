using System.Text.Json;
using Dllm.Checkpoints;
using Dllm.Model;
using Dllm.Training.Tokenizer;
using TorchSharp;

namespace Dllm.Training.Checkpoints;

/// <summary>
/// Writes a trained model in the HF layout the engine loads: <c>config.json</c> (torch_dtype = the stored dtype),
/// <c>model.safetensors</c> (every tensor of <see cref="LLaDA2CheckpointLayout"/>; the router's expert bias always fp32),
/// <c>tokenizer.json</c>, <c>tokenizer_config.json</c>, and <c>training_args.json</c> (the options that produced it).
/// </summary>
public static class DemoCheckpointWriter
{
    /// <summary>The file holding the training options.</summary>
    public const string TrainingArgsFile = "training_args.json";

    /// <summary>Writes the directory (created; weights replaced).</summary>
    internal static void Write(string directory, LLaDA2Model model, BpeVocabulary vocabulary, torch.ScalarType dtype, TrainingOptions options, int step)
    {
        Directory.CreateDirectory(directory);
        var config = model.Config with { TorchDtype = SafetensorsDTypes.TorchDtypeName(dtype) };
        File.WriteAllText(Path.Combine(directory, CheckpointFiles.ConfigFile), config.ToJson());
        var weights = model.ExportWeights().ToList();
        var expected = new LLaDA2CheckpointLayout(model.Config).Names.ToHashSet(StringComparer.Ordinal);
        if (!expected.SetEquals(weights.Select(w => w.Name)))
            throw new InvalidOperationException("the exported weights do not match the checkpoint layout of the config");
        string path = Path.Combine(directory, CheckpointFiles.SingleWeightsFile);
        using (var writer = new SafetensorsWriter(path, weights.Select(w => new SafetensorsEntry(w.Name, w.Weight.shape, StoredType(w.Name, dtype)))))
        {
            foreach (var (name, weight) in weights)
                writer.Write(name, weight);
            writer.Complete();
        }
        DemoTokenizerFiles.Write(directory, vocabulary);
        var args = new Dictionary<string, object?> { ["step"] = step, ["options"] = options };
        File.WriteAllText(Path.Combine(directory, TrainingArgsFile), JsonSerializer.Serialize(args, new JsonSerializerOptions { WriteIndented = true }));
    }

    private static torch.ScalarType StoredType(string name, torch.ScalarType dtype) =>
        name.EndsWith(".expert_bias", StringComparison.Ordinal) ? torch.ScalarType.Float32 : dtype;
}
