using System.Text;
using System.Text.Json;
using Dllm.Chat;
using Dllm.Server.Endpoints.Json;
using Dllm.Server.Endpoints.Pipeline;

namespace Dllm.Server.Endpoints.OpenAI;

/// <summary>
/// Reads OpenAI chat messages into <see cref="ChatTurn"/>s: roles <c>system</c>/<c>developer</c>, <c>user</c>,
/// <c>assistant</c> (with <c>tool_calls</c>) and <c>tool</c>; content a string, null, or a list of text parts.
/// </summary>
internal static class ChatMessageReader
{
    /// <summary>The turns of <c>messages</c>.</summary>
    public static IReadOnlyList<ChatTurn> Read(JsonElement root)
    {
        if (!JsonFields.TryGet(root, "messages", out var messages))
            throw ApiException.BadRequest("messages is required.", "messages");
        var turns = JsonFields.Array(messages, "messages").Select((message, i) => ReadTurn(message, $"messages[{i}]")).ToList();
        return turns.Count > 0 ? turns : throw ApiException.BadRequest("messages must not be empty.", "messages");
    }

    private static ChatTurn ReadTurn(JsonElement message, string path)
    {
        JsonFields.Object(message, path);
        string role = JsonFields.TryGet(message, "role", out var roleValue)
            ? JsonFields.String(roleValue, $"{path}.role")
            : throw ApiException.BadRequest($"{path}.role is required.", $"{path}.role");
        string content = ReadContent(message, $"{path}.content");
        return role switch
        {
            "system" or "developer" => ChatTurn.System(content),
            "user" => ChatTurn.User(content),
            "assistant" => ChatTurn.Assistant(content, ReadToolCalls(message, $"{path}.tool_calls")),
            "tool" => ChatTurn.Tool(content),
            _ => throw ApiException.BadRequest($"{path}.role must be system, developer, user, assistant or tool, got '{role}'.", $"{path}.role"),
        };
    }

    private static string ReadContent(JsonElement message, string path)
    {
        if (!JsonFields.TryGet(message, "content", out var content))
            return "";
        if (content.ValueKind == JsonValueKind.String)
            return content.GetString()!;
        var text = new StringBuilder();
        foreach (var (part, i) in JsonFields.Array(content, path).Select((p, i) => (p, i)))
        {
            string partPath = $"{path}[{i}]";
            JsonFields.Object(part, partPath);
            string type = JsonFields.TryGet(part, "type", out var typeValue) ? JsonFields.String(typeValue, $"{partPath}.type") : "text";
            if (type != "text")
                throw ApiException.BadRequest($"{partPath}.type '{type}' is not supported: this model reads text only.", $"{partPath}.type");
            text.Append(JsonFields.TryGet(part, "text", out var partText) ? JsonFields.String(partText, $"{partPath}.text") : "");
        }
        return text.ToString();
    }

    private static IReadOnlyList<ToolCallRequest> ReadToolCalls(JsonElement message, string path)
    {
        if (!JsonFields.TryGet(message, "tool_calls", out var calls))
            return [];
        return [.. JsonFields.Array(calls, path).Select((call, i) => ReadToolCall(call, $"{path}[{i}]"))];
    }

    private static ToolCallRequest ReadToolCall(JsonElement call, string path)
    {
        JsonFields.Object(call, path);
        var function = JsonFields.TryGet(call, "function", out var f)
            ? JsonFields.Object(f, $"{path}.function")
            : throw ApiException.BadRequest($"{path}.function is required.", $"{path}.function");
        string name = JsonFields.TryGet(function, "name", out var n)
            ? JsonFields.String(n, $"{path}.function.name")
            : throw ApiException.BadRequest($"{path}.function.name is required.", $"{path}.function.name");
        string arguments = !JsonFields.TryGet(function, "arguments", out var a) ? "{}"
            : a.ValueKind == JsonValueKind.String ? a.GetString()! : a.GetRawText();
        return new ToolCallRequest(name, arguments);
    }
}
