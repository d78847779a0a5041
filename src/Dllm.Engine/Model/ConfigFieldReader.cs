using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dllm.Model;

/// <summary>Reads typed fields of a JSON config object with errors that name the field and the file.</summary>
internal sealed class ConfigFieldReader(JsonObject root, string source)
{
    public int RequiredInt(string field, int min) =>
        Int(field, root[field] ?? throw Missing(field), min);

    public int OptionalInt(string field, int fallback, int min) =>
        root[field] is JsonNode node && node.GetValueKind() != JsonValueKind.Null ? Int(field, node, min) : fallback;

    public int OptionalIntOrFirstOfList(string field, int fallback) => root[field] switch
    {
        JsonArray { Count: > 0 } list => list[0] is JsonNode first ? Int(field, first, 0) : throw Invalid(field, list, "an integer or a list of integers"),
        JsonNode node when node.GetValueKind() != JsonValueKind.Null => Int(field, node, 0),
        _ => fallback,
    };

    public double OptionalDouble(string field, double fallback)
    {
        if (root[field] is not JsonNode node || node.GetValueKind() == JsonValueKind.Null)
            return fallback;
        if (node.GetValueKind() != JsonValueKind.Number)
            throw Invalid(field, node, "a number");
        double value = node.GetValue<double>();
        return double.IsFinite(value) ? value : throw Invalid(field, node, "a finite number");
    }

    public bool OptionalBool(string field, bool fallback) => root[field] switch
    {
        JsonNode node when node.GetValueKind() is JsonValueKind.True or JsonValueKind.False => node.GetValue<bool>(),
        JsonNode node when node.GetValueKind() != JsonValueKind.Null => throw Invalid(field, node, "true or false"),
        _ => fallback,
    };

    public string? OptionalString(string field) => root[field] switch
    {
        JsonNode node when node.GetValueKind() == JsonValueKind.String => node.GetValue<string>(),
        JsonNode node when node.GetValueKind() != JsonValueKind.Null => throw Invalid(field, node, "a string"),
        _ => null,
    };

    public void RejectTrue(string field, string why)
    {
        if (OptionalBool(field, false))
            throw new ModelConfigException($"{source}: field '{field}' is true; {why}.");
    }

    private int Int(string field, JsonNode node, int min)
    {
        if (node.GetValueKind() != JsonValueKind.Number || !node.AsValue().TryGetValue(out long value) || value > int.MaxValue)
            throw Invalid(field, node, "an integer");
        if (value < min)
            throw Invalid(field, node, $"an integer >= {min}");
        return (int)value;
    }

    private ModelConfigException Missing(string field) => new($"{source}: required field '{field}' is missing.");

    private ModelConfigException Invalid(string field, JsonNode node, string expected) =>
        new($"{source}: field '{field}' must be {expected}, got {node.ToJsonString()}.");
}
