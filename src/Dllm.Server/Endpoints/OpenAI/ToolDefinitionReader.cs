using System.Text.Json;
using Dllm.Chat;
using Dllm.Server.Endpoints.Json;
using Dllm.Server.Endpoints.Pipeline;

namespace Dllm.Server.Endpoints.OpenAI;

/// <summary>
/// Reads OpenAI <c>tools</c> (<c>{"type": "function", "function": {"name", "description", "parameters"}}</c>) into
/// <see cref="ToolDefinition"/>s. <c>tool_choice</c> <c>none</c> leaves the tools out of the prompt; any other value
/// offers them (the model decides: a call cannot be forced).
/// </summary>
internal static class ToolDefinitionReader
{
    /// <summary>The tools offered to the model.</summary>
    public static IReadOnlyList<ToolDefinition> Read(JsonElement root)
    {
        if (!JsonFields.TryGet(root, "tools", out var tools))
            return [];
        var definitions = JsonFields.Array(tools, "tools").Select((tool, i) => ReadTool(tool, $"tools[{i}]")).ToList();
        bool none = JsonFields.TryGet(root, "tool_choice", out var choice) && choice.ValueKind == JsonValueKind.String && choice.GetString() == "none";
        return none ? [] : definitions;
    }

    private static ToolDefinition ReadTool(JsonElement tool, string path)
    {
        JsonFields.Object(tool, path);
        string type = JsonFields.TryGet(tool, "type", out var t) ? JsonFields.String(t, $"{path}.type") : "function";
        if (type != "function")
            throw ApiException.BadRequest($"{path}.type must be 'function', got '{type}'.", $"{path}.type");
        var function = JsonFields.TryGet(tool, "function", out var f)
            ? JsonFields.Object(f, $"{path}.function")
            : throw ApiException.BadRequest($"{path}.function is required.", $"{path}.function");
        string name = JsonFields.TryGet(function, "name", out var n) && JsonFields.String(n, $"{path}.function.name") is { Length: > 0 } given
            ? given
            : throw ApiException.BadRequest($"{path}.function.name is required.", $"{path}.function.name");
        string? description = JsonFields.TryGet(function, "description", out var d) ? JsonFields.String(d, $"{path}.function.description") : null;
        string? parameters = JsonFields.TryGet(function, "parameters", out var p) ? JsonFields.Object(p, $"{path}.function.parameters").GetRawText() : null;
        return new ToolDefinition(name, description, parameters);
    }
}
