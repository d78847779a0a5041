namespace Dllm.Chat;

/// <summary>The end of an assistant turn, split by the chat policy (<see cref="ChatStreamGate.Complete"/>).</summary>
/// <param name="Text">The answer's text: with tools offered, the text outside the tool-call blocks (see <see cref="ToolCallParser"/>); else all of it.</param>
/// <param name="Shown">How much of <see cref="Text"/> the stream has shown already.</param>
/// <param name="ToolCalls">Every tool-call block, readable or not (none when no tools were offered).</param>
/// <param name="FinishReason">Why the turn ended.</param>
/// <param name="AbortMessage">Why it was aborted, when <see cref="FinishReason"/> is <see cref="ChatFinish.Abort"/>.</param>
public sealed record ChatOutput(string Text, int Shown, IReadOnlyList<ParsedToolCall> ToolCalls, ChatFinish FinishReason, string? AbortMessage)
{
    /// <summary>What the stream has not shown of <see cref="Text"/>.</summary>
    public string Rest => Text[Shown..];

    /// <summary>The tool calls that could be read.</summary>
    public IEnumerable<ParsedToolCall> ReadableToolCalls => ToolCalls.Where(c => c.IsValid);

    /// <summary>The tool-call blocks that could not be read (malformed JSON, no name, no closing tag).</summary>
    public IEnumerable<ParsedToolCall> UnreadableToolCalls => ToolCalls.Where(c => !c.IsValid);
}
