using Dllm.Chat;

namespace Dllm.Server.Endpoints.OpenAI;

/// <summary>
/// The chat policy's end of turn (<see cref="ChatOutput"/>) on OpenAI's wire: <c>tool_calls</c> are the calls that could
/// be read; a block that could not be read has no form there (a call needs a name and JSON arguments), so its raw text
/// stays in <c>content</c> as generated, after the text (joined with "\n"); <c>content</c> is otherwise the policy's text.
/// </summary>
/// <param name="Content">The message content.</param>
/// <param name="Shown">How much of <see cref="Content"/> the stream has sent already.</param>
/// <param name="ToolCalls">The readable tool calls, in order.</param>
/// <param name="FinishReason">OpenAI's <c>finish_reason</c> (<see cref="OpenAiFinishReason"/>).</param>
/// <param name="AbortMessage">The choice's <c>abort_message</c>, for a request aborted on purpose; else null.</param>
internal sealed record OpenAiChatOutput(string Content, int Shown, IReadOnlyList<ParsedToolCall> ToolCalls, string FinishReason, string? AbortMessage)
{
    /// <summary>What the stream has not sent of <see cref="Content"/>.</summary>
    public string Rest => Content[Shown..];

    /// <summary>The OpenAI form of <paramref name="output"/>.</summary>
    public static OpenAiChatOutput From(ChatOutput output)
    {
        string content = string.Join("\n", new[] { output.Text }.Where(t => t.Length > 0).Concat(output.UnreadableToolCalls.Select(c => c.RawText)));
        return new OpenAiChatOutput(content, output.Shown, [.. output.ReadableToolCalls], OpenAiFinishReason.From(output.FinishReason), output.AbortMessage);
    }
}
