namespace Dllm.Chat;

/// <summary>Generated text split into its plain text and its tool calls.</summary>
/// <param name="Text">The text outside the tool-call blocks (see <see cref="ToolCallParser"/> for how it is joined).</param>
/// <param name="ToolCalls">The tool-call blocks in order, valid or not.</param>
public sealed record ToolCallParseResult(string Text, IReadOnlyList<ParsedToolCall> ToolCalls);
