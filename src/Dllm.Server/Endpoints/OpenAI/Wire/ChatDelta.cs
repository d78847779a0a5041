namespace Dllm.Server.Endpoints.OpenAI.Wire;

/// <summary>The <c>delta</c> of a streamed chat chunk: the role on the first, then text or tool calls.</summary>
internal sealed record ChatDelta(string? Role = null, string? Content = null, IReadOnlyList<ToolCall>? ToolCalls = null);
