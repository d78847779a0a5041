namespace Dllm.Checkpoints;

/// <summary>
/// Splits tensors, in order, into shards of at most a given size (a tensor larger than that gets a shard of its
/// own), and names the weight files as Hugging Face does: <c>model.safetensors</c> for one file, else
/// <c>model-00001-of-0000N.safetensors</c>.
/// </summary>
internal static class ShardPlan
{
    /// <summary>The shards, each with its file name and tensors.</summary>
    public static IReadOnlyList<(string FileName, IReadOnlyList<SafetensorsEntry> Entries)> Split(IEnumerable<SafetensorsEntry> entries, long maxShardBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxShardBytes);
        var shards = new List<List<SafetensorsEntry>>();
        long current = 0;
        foreach (SafetensorsEntry entry in entries)
        {
            if (shards.Count == 0 || (current > 0 && current + entry.ByteLength > maxShardBytes))
            {
                shards.Add([]);
                current = 0;
            }
            shards[^1].Add(entry);
            current += entry.ByteLength;
        }
        return shards
            .Select((s, i) => (shards.Count == 1 ? CheckpointFiles.SingleWeightsFile : CheckpointFiles.ShardFileName(i + 1, shards.Count), (IReadOnlyList<SafetensorsEntry>)s))
            .ToList();
    }
}
