using Dllm.Chat;

namespace Dllm.Server.Endpoints.OpenAI;

/// <summary>
/// The assistant's generated text split into content and tool calls (only when tools were offered). Tool-call
/// blocks the parser cannot read stay in the content as generated, so nothing the model wrote is lost.
/// </summary>
/// <param name="Content">The text outside valid tool-call blocks.</param>
/// <param name="ToolCalls">The valid tool calls, in order.</param>
internal sealed record ChatOutput(string Content, IReadOnlyList<ParsedToolCall> ToolCalls)
{
    /// <summary>Splits <paramref name="text"/>.</summary>
    public static ChatOutput From(string text, bool toolsOffered)
    {
        if (!toolsOffered)
            return new ChatOutput(text, []);
        var parsed = ToolCallParser.Parse(text);
        var invalid = parsed.ToolCalls.Where(c => !c.IsValid).Select(c => c.RawText);
        string content = string.Join("\n", new[] { parsed.Text }.Where(t => t.Length > 0).Concat(invalid));
        return new ChatOutput(content, [.. parsed.ToolCalls.Where(c => c.IsValid)]);
    }

    /// <summary>The OpenAI <c>finish_reason</c>: <c>tool_calls</c> when the model stopped after calling tools, else
    /// <c>stop</c> or <c>length</c> (an aborted request ends with <c>stop</c>; see <see cref="OpenAiFinishReason"/>).</summary>
    public string FinishReasonFor(FinishReason reason) => OpenAiFinishReason.From(reason, ToolCalls.Count > 0);
}
