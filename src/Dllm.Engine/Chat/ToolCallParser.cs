using System.Text.Json;
using Dllm.Tokenization;

namespace Dllm.Chat;

/// <summary>
/// Finds the <c>&lt;tool_call&gt;\n{"name": …, "arguments": {…}}\n&lt;/tool_call&gt;</c> blocks in generated text. Never
/// throws for bad model output: a block with malformed JSON, no <c>name</c>, or no closing tag comes back with an
/// <see cref="ParsedToolCall.Error"/>. The plain text is what lies outside the blocks, each piece trimmed of
/// whitespace next to a block, empty pieces dropped, joined with "\n".
/// </summary>
public static class ToolCallParser
{
    /// <summary>Splits <paramref name="text"/> into plain text and tool calls.</summary>
    public static ToolCallParseResult Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var calls = new List<ParsedToolCall>();
        var pieces = new List<string>();
        int position = 0;
        while (position < text.Length)
        {
            int open = text.IndexOf(LladaTokens.ToolCallOpen, position, StringComparison.Ordinal);
            if (open < 0)
            {
                break;
            }
            AddPiece(pieces, text[position..open], trimStart: position > 0, trimEnd: true);
            int bodyStart = open + LladaTokens.ToolCallOpen.Length;
            int close = text.IndexOf(LladaTokens.ToolCallClose, bodyStart, StringComparison.Ordinal);
            if (close < 0)
            {
                calls.Add(new ParsedToolCall(null, null, text[open..], $"no closing {LladaTokens.ToolCallClose}"));
                position = text.Length;
                break;
            }
            position = close + LladaTokens.ToolCallClose.Length;
            calls.Add(ParseBody(text[bodyStart..close], text[open..position]));
        }
        AddPiece(pieces, text[position..], trimStart: calls.Count > 0, trimEnd: false);
        return new ToolCallParseResult(calls.Count == 0 ? text : string.Join("\n", pieces), calls);
    }

    private static void AddPiece(List<string> pieces, string piece, bool trimStart, bool trimEnd)
    {
        piece = trimStart ? piece.TrimStart() : piece;
        piece = trimEnd ? piece.TrimEnd() : piece;
        if (piece.Length > 0)
        {
            pieces.Add(piece);
        }
    }

    private static ParsedToolCall ParseBody(string body, string raw)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(body);
            JsonElement call = document.RootElement;
            if (call.ValueKind != JsonValueKind.Object)
            {
                return Invalid(raw, "the tool call is not a JSON object");
            }
            if (!call.TryGetProperty("name", out JsonElement name) || name.ValueKind != JsonValueKind.String || name.GetString()!.Length == 0)
            {
                return Invalid(raw, "the tool call has no \"name\" string");
            }
            string? arguments = ReadArguments(call);
            return arguments is null
                ? Invalid(raw, "\"arguments\" is not a JSON object")
                : new ParsedToolCall(name.GetString(), arguments, raw, null);
        }
        catch (JsonException e)
        {
            return Invalid(raw, $"malformed JSON: {e.Message}");
        }
    }

    /// <summary>The arguments object's JSON; <c>{}</c> when absent; an object encoded as a JSON string is accepted too.</summary>
    private static string? ReadArguments(JsonElement call)
    {
        if (!call.TryGetProperty("arguments", out JsonElement arguments) || arguments.ValueKind == JsonValueKind.Null)
        {
            return "{}";
        }
        if (arguments.ValueKind == JsonValueKind.Object)
        {
            return arguments.GetRawText();
        }
        if (arguments.ValueKind == JsonValueKind.String)
        {
            using JsonDocument inner = JsonDocument.Parse(arguments.GetString()!);
            return inner.RootElement.ValueKind == JsonValueKind.Object ? inner.RootElement.GetRawText() : null;
        }
        return null;
    }

    private static ParsedToolCall Invalid(string raw, string error) => new(null, null, raw, error);
}
