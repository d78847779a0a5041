using System.Text.Json;
using Dllm.Server.Endpoints.Pipeline;

namespace Dllm.Server.Endpoints.Json;

/// <summary>
/// Typed reads of request JSON fields. Every failure is a 400 naming the field by its path
/// (<c>sampling_params[1].top_k</c>); JSON <c>null</c> counts as absent.
/// </summary>
internal static class JsonFields
{
    /// <summary>The field <paramref name="name"/> of <paramref name="obj"/> when present and not null.</summary>
    public static bool TryGet(JsonElement obj, string name, out JsonElement value)
    {
        if (obj.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null)
            return true;
        value = default;
        return false;
    }

    /// <summary>Checks that <paramref name="value"/> is an object.</summary>
    public static JsonElement Object(JsonElement value, string path) =>
        value.ValueKind == JsonValueKind.Object ? value : throw WrongType(path, "an object", value);

    /// <summary>An array's elements.</summary>
    public static JsonElement.ArrayEnumerator Array(JsonElement value, string path) =>
        value.ValueKind == JsonValueKind.Array ? value.EnumerateArray() : throw WrongType(path, "a list", value);

    /// <summary>An integer in the range of <see cref="int"/>.</summary>
    public static int Int(JsonElement value, string path) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int result) ? result : throw WrongType(path, "an integer", value);

    /// <summary>An integer in the range of <see cref="long"/>.</summary>
    public static long Long(JsonElement value, string path) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long result) ? result : throw WrongType(path, "an integer", value);

    /// <summary>A number.</summary>
    public static double Number(JsonElement value, string path) =>
        value.ValueKind == JsonValueKind.Number ? value.GetDouble() : throw WrongType(path, "a number", value);

    /// <summary>A boolean.</summary>
    public static bool Bool(JsonElement value, string path) =>
        value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : throw WrongType(path, "true or false", value);

    /// <summary>A string.</summary>
    public static string String(JsonElement value, string path) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : throw WrongType(path, "a string", value);

    /// <summary>A string or a list of strings, as a list.</summary>
    public static IReadOnlyList<string> StringOrList(JsonElement value, string path) =>
        value.ValueKind == JsonValueKind.String
            ? [value.GetString()!]
            : value.ValueKind == JsonValueKind.Array
                ? [.. value.EnumerateArray().Select((item, i) => String(item, $"{path}[{i}]"))]
                : throw WrongType(path, "a string or a list of strings", value);

    /// <summary>A list of integers.</summary>
    public static IReadOnlyList<int> IntList(JsonElement value, string path) =>
        [.. Array(value, path).Select((item, i) => Int(item, $"{path}[{i}]"))];

    /// <summary>A 400 for a value of the wrong type.</summary>
    public static ApiException WrongType(string path, string expected, JsonElement got) =>
        ApiException.BadRequest($"{path} must be {expected}, got {Describe(got)}.", path);

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string {Truncate(value.GetRawText())}",
        JsonValueKind.Number => $"the number {Truncate(value.GetRawText())}",
        JsonValueKind.True or JsonValueKind.False => $"{value.GetRawText()}",
        JsonValueKind.Array => "a list",
        JsonValueKind.Object => "an object",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..37] + "...";
}
