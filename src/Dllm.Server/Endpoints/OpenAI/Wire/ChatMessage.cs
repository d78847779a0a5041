using System.Text.Json.Serialization;

namespace Dllm.Server.Endpoints.OpenAI.Wire;

/// <summary>The assistant message of a chat completion; <c>content</c> is null when the answer is only tool calls.</summary>
internal sealed record ChatMessage(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Content,
    IReadOnlyList<ToolCall>? ToolCalls)
{
    /// <summary>Always <c>assistant</c>.</summary>
    [JsonPropertyOrder(-1)]
    public string Role => "assistant";
}
