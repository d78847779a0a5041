using Dllm.Model;
using TorchSharp;

namespace Dllm.Checkpoints;

/// <summary>
/// Writes a complete Hugging Face model directory for any <see cref="LLaDA2Config"/>: config.json (its
/// torch_dtype set to the stored dtype), and every tensor of <see cref="LLaDA2CheckpointLayout"/> with seeded
/// random values (scales in the remarks), as one <c>model.safetensors</c> or as shards
/// <c>model-0000i-of-0000N.safetensors</c> plus <c>model.safetensors.index.json</c>. Tensors are generated and
/// written one at a time, so memory holds at most one tensor. Tokenizer files are left to
/// <see cref="SyntheticCheckpointOptions.WriteExtraFiles"/>.
/// </summary>
/// <remarks>
/// Weight values: matrices normal(0, 0.02·√(2048/fan_in)); norm weights normal(1, 0.1); expert_bias
/// normal(0, 0.05), stored as fp32. Each tensor's values depend only on the seed and its name.
/// </remarks>
public static class SyntheticCheckpointWriter
{
    /// <summary>Writes the checkpoint into <paramref name="directory"/> (created when missing).</summary>
    /// <returns>The paths of the weight files written.</returns>
    /// <exception cref="CheckpointException">The directory already holds weights (without <see cref="SyntheticCheckpointOptions.Overwrite"/>) or a file cannot be written.</exception>
    /// <exception cref="ModelConfigException">The config is invalid.</exception>
    /// <exception cref="ArgumentException">The dtype cannot be stored.</exception>
    public static IReadOnlyList<string> Write(string directory, LLaDA2Config config, SyntheticCheckpointOptions? options = null)
    {
        options ??= new SyntheticCheckpointOptions();
        config.Validate();
        string storedDtype = SafetensorsDTypes.TorchDtypeName(options.DType);
        Directory.CreateDirectory(directory);
        ClearOldWeights(directory, options.Overwrite);
        File.WriteAllText(Path.Combine(directory, CheckpointFiles.ConfigFile), (config with { TorchDtype = storedDtype }).ToJson());

        var entries = new LLaDA2CheckpointLayout(config).Tensors
            .Select(t => new SafetensorsEntry(t.Name, t.Shape, t.Name.EndsWith(".expert_bias", StringComparison.Ordinal) ? torch.ScalarType.Float32 : options.DType))
            .ToList();
        var shards = ShardPlan.Split(entries, options.MaxShardBytes);
        long totalBytes = entries.Sum(e => e.ByteLength);
        var progress = new ProgressCounter(entries.Count, totalBytes);
        var paths = new List<string>();
        foreach (var (fileName, shardEntries) in shards)
        {
            string path = Path.Combine(directory, fileName);
            WriteShard(path, shardEntries, options, progress);
            paths.Add(path);
        }
        if (shards.Count > 1)
        {
            var weightMap = shards.SelectMany(s => s.Entries.Select(e => (e.Name, s.FileName))).ToDictionary(p => p.Name, p => p.FileName, StringComparer.Ordinal);
            File.WriteAllText(Path.Combine(directory, CheckpointFiles.IndexFile), SafetensorsIndex.ToJson(weightMap, totalBytes));
        }
        options.WriteExtraFiles?.Invoke(directory);
        return paths;
    }

    private static void WriteShard(string path, IReadOnlyList<SafetensorsEntry> entries, SyntheticCheckpointOptions options, ProgressCounter progress)
    {
        using var writer = new SafetensorsWriter(path, entries);
        foreach (SafetensorsEntry entry in entries)
        {
            using (torch.Tensor values = SyntheticWeights.Generate(entry.Name, entry.Shape, options.Seed, entry.Name == LLaDA2TensorNames.FinalNorm ? options.LogitSharpness : 1.0))
                writer.Write(entry.Name, values);
            progress.Add(entry.Name, entry.ByteLength, options.Progress);
        }
        writer.Complete();
    }

    private static void ClearOldWeights(string directory, bool overwrite)
    {
        var old = Directory.EnumerateFiles(directory, "model*.safetensors")
            .Append(Path.Combine(directory, CheckpointFiles.IndexFile))
            .Where(File.Exists)
            .ToList();
        if (old.Count == 0)
            return;
        if (!overwrite)
        {
            throw new CheckpointException(
                $"{directory}: already holds checkpoint weights ({NameList.Format(old.Select(Path.GetFileName).OfType<string>(), 3)}); choose an empty directory or overwrite.",
                directory);
        }
        foreach (string file in old)
            File.Delete(file);
    }
}
