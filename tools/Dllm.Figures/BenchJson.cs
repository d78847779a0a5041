using System.Text.Json;

namespace Dllm.Figures;

/// <summary>Reads the fields of the bench's JSON files (<c>bench/Dllm.Bench</c>, <c>--json</c>); every error is a
/// <see cref="FormatException"/> that names the file and the field.</summary>
internal static class BenchJson
{
    /// <summary>Parses <paramref name="path"/>.</summary>
    public static JsonDocument Parse(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new FormatException($"{path}: not JSON ({e.Message})", e);
        }
    }

    /// <summary>The string field <paramref name="name"/> of <paramref name="element"/> (<paramref name="where"/> says
    /// which object it is, for the message).</summary>
    public static string String(JsonElement element, string name, string path, string where) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new FormatException($"{path}: {where} has no string \"{name}\"");

    /// <summary>The number field <paramref name="name"/> of <paramref name="element"/>.</summary>
    public static double Number(JsonElement element, string name, string path, string where) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            ? value.GetDouble()
            : throw new FormatException($"{path}: {where} has no number \"{name}\"");
}
