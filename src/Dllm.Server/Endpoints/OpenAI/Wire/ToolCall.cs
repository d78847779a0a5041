using System.Text.Json.Serialization;
using Dllm.Chat;

namespace Dllm.Server.Endpoints.OpenAI.Wire;

/// <summary>OpenAI tool call in a message (<see cref="Index"/> null) or in a streamed delta (<see cref="Index"/> set).</summary>
internal sealed record ToolCall(string Id, FunctionCall Function, int? Index = null)
{
    /// <summary>Always <c>function</c>.</summary>
    [JsonPropertyOrder(-1)]
    public string Type => "function";

    /// <summary>The OpenAI form of a parsed (valid) tool call, with a fresh id.</summary>
    public static ToolCall From(ParsedToolCall call, int? index = null) =>
        new($"call_{Guid.NewGuid():N}"[..29], new FunctionCall(call.Name!, call.ArgumentsJson!), index);
}
