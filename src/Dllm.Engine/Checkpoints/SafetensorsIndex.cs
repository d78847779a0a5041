using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dllm.Checkpoints;

/// <summary>
/// <c>model.safetensors.index.json</c> of a sharded checkpoint: <c>weight_map</c> (tensor name -> shard file
/// name in the same directory) and <c>metadata.total_size</c> (bytes of tensor data).
/// </summary>
internal sealed class SafetensorsIndex
{
    private SafetensorsIndex(IReadOnlyDictionary<string, string> weightMap, long? totalSize)
    {
        WeightMap = weightMap;
        TotalSize = totalSize;
    }

    /// <summary>Tensor name -> shard file name.</summary>
    public IReadOnlyDictionary<string, string> WeightMap { get; }

    /// <summary><c>metadata.total_size</c>, when present.</summary>
    public long? TotalSize { get; }

    /// <summary>The shard file names, in order.</summary>
    public IReadOnlyList<string> ShardFiles => WeightMap.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    /// <summary>Reads and validates an index file.</summary>
    /// <exception cref="CheckpointException">It cannot be read or is malformed.</exception>
    public static SafetensorsIndex Read(string path)
    {
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"{path}: cannot read the shard index: {e.Message}", path, innerException: e);
        }
        return Parse(json, path);
    }

    /// <summary>Parses and validates index JSON; <paramref name="path"/> names it in errors.</summary>
    /// <exception cref="CheckpointException">It is malformed.</exception>
    public static SafetensorsIndex Parse(string json, string path)
    {
        CheckpointException Invalid(string problem, string? tensor = null) =>
            new($"{path}: invalid shard index: {problem}.", path, tensor);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{path}: invalid shard index: not valid JSON: {e.Message}", path, innerException: e);
        }
        if (root is not JsonObject rootObject || rootObject["weight_map"] is not JsonObject map)
            throw Invalid("'weight_map' is missing or not an object");
        if (map.Count == 0)
            throw Invalid("'weight_map' is empty");
        var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (tensor, node) in map)
        {
            if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
                throw Invalid($"the shard of tensor '{tensor}' must be a file name string", tensor);
            string file = value.GetValue<string>();
            if (file.Length == 0 || Path.GetFileName(file) != file || file is "." or "..")
                throw Invalid($"the shard of tensor '{tensor}' ('{file}') must be a file name in the checkpoint directory", tensor);
            weightMap[tensor] = file;
        }
        return new SafetensorsIndex(weightMap, ReadTotalSize(rootObject, Invalid));
    }

    /// <summary>The index JSON (weight_map sorted by tensor name, as Hugging Face writes it).</summary>
    public static string ToJson(IReadOnlyDictionary<string, string> weightMap, long totalSize)
    {
        var map = new JsonObject();
        foreach (var (tensor, file) in weightMap.OrderBy(p => p.Key, StringComparer.Ordinal))
            map[tensor] = file;
        var root = new JsonObject
        {
            ["metadata"] = new JsonObject { ["total_size"] = totalSize },
            ["weight_map"] = map,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static long? ReadTotalSize(JsonObject root, Func<string, string?, CheckpointException> invalid)
    {
        if (root["metadata"] is not JsonObject metadata || metadata["total_size"] is not JsonNode size)
            return null;
        return size is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue(out long total) && total >= 0
            ? total
            : throw invalid("'metadata.total_size' must be a non-negative integer", null);
    }
}
