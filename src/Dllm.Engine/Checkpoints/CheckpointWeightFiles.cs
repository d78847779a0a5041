namespace Dllm.Checkpoints;

/// <summary>
/// Finds the weight files of a model directory (<c>model.safetensors</c>, else the shards of
/// <c>model.safetensors.index.json</c>), opens their headers, and checks that the index and the shards agree.
/// </summary>
internal static class CheckpointWeightFiles
{
    /// <summary>The opened weight files and every tensor with the file that holds it.</summary>
    /// <exception cref="CheckpointException">No weights, a missing shard, a corrupt header, or an index that disagrees with the shards.</exception>
    public static (IReadOnlyList<SafetensorsFile> Files, IReadOnlyDictionary<string, (SafetensorsFile File, SafetensorsTensorInfo Info)> Tensors) Open(string directory)
    {
        string single = Path.Combine(directory, CheckpointFiles.SingleWeightsFile);
        if (File.Exists(single))
        {
            var file = SafetensorsFile.Open(single);
            return ([file], file.Tensors.ToDictionary(t => t.Key, t => (file, t.Value), StringComparer.Ordinal));
        }
        string indexPath = Path.Combine(directory, CheckpointFiles.IndexFile);
        if (!File.Exists(indexPath))
        {
            throw new CheckpointException(
                $"{directory}: no weights: neither {CheckpointFiles.SingleWeightsFile} nor {CheckpointFiles.IndexFile} is in the checkpoint directory.", directory);
        }
        return OpenShards(directory, indexPath, SafetensorsIndex.Read(indexPath));
    }

    private static (IReadOnlyList<SafetensorsFile>, IReadOnlyDictionary<string, (SafetensorsFile, SafetensorsTensorInfo)>) OpenShards(
        string directory, string indexPath, SafetensorsIndex index)
    {
        var files = new List<SafetensorsFile>();
        var tensors = new Dictionary<string, (SafetensorsFile, SafetensorsTensorInfo)>(StringComparer.Ordinal);
        foreach (var shard in index.WeightMap.GroupBy(p => p.Value, p => p.Key, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            string path = Path.Combine(directory, shard.Key);
            if (!File.Exists(path))
            {
                throw new CheckpointException(
                    $"{path}: shard file '{shard.Key}' is missing; {indexPath} maps {shard.Count()} tensors to it, e.g. '{shard.First()}'.",
                    path, shard.First());
            }
            var file = SafetensorsFile.Open(path);
            foreach (string name in shard)
            {
                if (!file.Tensors.TryGetValue(name, out SafetensorsTensorInfo? info))
                    throw new CheckpointException($"{path}: tensor '{name}' is mapped to this shard by {indexPath} but the shard does not hold it.", path, name);
                tensors.Add(name, (file, info));
            }
            var unlisted = file.Tensors.Keys.Where(n => index.WeightMap.GetValueOrDefault(n) != shard.Key).Order(StringComparer.Ordinal).ToList();
            if (unlisted.Count > 0)
            {
                throw new CheckpointException(
                    $"{path}: the shard holds {unlisted.Count} tensors that {indexPath} does not map to it: {NameList.Format(unlisted)}.", path, unlisted[0]);
            }
            files.Add(file);
        }
        return (files, tensors);
    }
}
