namespace Dllm.Chat;

/// <summary>
/// A request for the assistant's next turn of a conversation, as both front doors ask for it (the <c>IChatClient</c> of
/// Dllm.AI and the server's <c>/v1/chat/completions</c>): each maps its own wire onto this record, and
/// <see cref="ChatRequestBuilder"/> turns it into the engine request by one policy.
/// </summary>
public sealed record ChatRequest
{
    /// <summary>The conversation so far; a system turn, if any, comes first.</summary>
    public required IReadOnlyList<ChatTurn> Turns { get; init; }

    /// <summary>The tools offered (none: the output is plain text, tool-call markup included).</summary>
    public IReadOnlyList<ToolDefinition> Tools { get; init; } = [];

    /// <summary>
    /// The engine request but for its prompt: the caller's sampling and stops, the id, the per-request overrides,
    /// <see cref="GenerateRequest.UntilContextEnd"/>. The chat policy sets the prompt and adds the end-of-turn stop ids.
    /// </summary>
    public GenerateRequest Generation { get; init; } = new();
}
