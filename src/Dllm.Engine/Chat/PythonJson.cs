using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Dllm.Chat;

/// <summary>
/// Writes JSON the way the Hugging Face chat-template filter <c>tojson</c> does (Python's
/// <c>json.dumps(x, ensure_ascii=False)</c>): separators <c>", "</c> and <c>": "</c>, keys in their original order,
/// non-ASCII characters unescaped. Numbers are copied as written.
/// </summary>
internal static class PythonJson
{
    /// <summary>Parses <paramref name="json"/> and writes it in Python's style; false when it is not valid JSON.</summary>
    public static bool TryReformat(string json, out string formatted)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            var builder = new StringBuilder(json.Length);
            Write(document.RootElement, builder);
            formatted = builder.ToString();
            return true;
        }
        catch (JsonException)
        {
            formatted = json;
            return false;
        }
    }

    /// <summary>Writes <paramref name="value"/> in Python's style.</summary>
    public static void Write(JsonElement value, StringBuilder output)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                output.Append('{');
                bool firstProperty = true;
                foreach (JsonProperty property in value.EnumerateObject())
                {
                    output.Append(firstProperty ? "" : ", ");
                    WriteString(property.Name, output);
                    output.Append(": ");
                    Write(property.Value, output);
                    firstProperty = false;
                }
                output.Append('}');
                break;
            case JsonValueKind.Array:
                output.Append('[');
                bool firstItem = true;
                foreach (JsonElement item in value.EnumerateArray())
                {
                    output.Append(firstItem ? "" : ", ");
                    Write(item, output);
                    firstItem = false;
                }
                output.Append(']');
                break;
            case JsonValueKind.String:
                WriteString(value.GetString()!, output);
                break;
            default:
                output.Append(value.GetRawText()); // number, true, false, null
                break;
        }
    }

    /// <summary>Writes a JSON string literal: quotes, backslashes and control characters escaped, everything else as is.</summary>
    public static void WriteString(string text, StringBuilder output)
    {
        output.Append('"');
        foreach (char c in text)
        {
            switch (c)
            {
                case '"': output.Append("\\\""); break;
                case '\\': output.Append("\\\\"); break;
                case '\n': output.Append("\\n"); break;
                case '\r': output.Append("\\r"); break;
                case '\t': output.Append("\\t"); break;
                case '\b': output.Append("\\b"); break;
                case '\f': output.Append("\\f"); break;
                case < ' ': output.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: output.Append(c); break;
            }
        }
        output.Append('"');
    }
}
