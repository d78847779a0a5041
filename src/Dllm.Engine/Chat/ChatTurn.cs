namespace Dllm.Chat;

/// <summary>One message of a conversation, in the engine's own terms.</summary>
/// <param name="Role">Who speaks.</param>
/// <param name="Content">The text, inserted into the prompt verbatim (for a tool turn: the tool's result).</param>
public sealed record ChatTurn(ChatRole Role, string Content)
{
    /// <summary>Tool calls the assistant made in this turn (assistant turns only).</summary>
    public IReadOnlyList<ToolCallRequest> ToolCalls { get; init; } = [];

    /// <summary>A system turn.</summary>
    public static ChatTurn System(string content) => new(ChatRole.System, content);

    /// <summary>A user turn.</summary>
    public static ChatTurn User(string content) => new(ChatRole.User, content);

    /// <summary>An assistant turn, optionally with tool calls.</summary>
    public static ChatTurn Assistant(string content, params IReadOnlyList<ToolCallRequest> toolCalls) =>
        new(ChatRole.Assistant, content) { ToolCalls = toolCalls };

    /// <summary>The result of a tool call.</summary>
    public static ChatTurn Tool(string result) => new(ChatRole.Tool, result);
}
