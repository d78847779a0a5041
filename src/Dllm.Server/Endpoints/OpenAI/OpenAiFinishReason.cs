namespace Dllm.Server.Endpoints.OpenAI;

/// <summary>
/// Maps the engine's finish reason to OpenAI's <c>finish_reason</c>, which only knows <c>stop</c>, <c>length</c>,
/// <c>tool_calls</c>, <c>content_filter</c> and <c>function_call</c>: a request aborted on purpose (<c>/abort_request</c>,
/// shutdown) ends with <c>stop</c>, and its reason goes into the choice's extra <c>abort_message</c> field.
/// </summary>
internal static class OpenAiFinishReason
{
    /// <summary><c>stop</c> (or <c>tool_calls</c> when the output holds tool calls), <c>length</c>; an abort is <c>stop</c>.</summary>
    public static string From(FinishReason reason, bool hasToolCalls) => reason.Kind switch
    {
        FinishKind.Length => "length",
        FinishKind.Stop when hasToolCalls => "tool_calls",
        _ => "stop",
    };

    /// <summary>The choice's <c>abort_message</c>: why the request was aborted; null (field left out) otherwise.</summary>
    public static string? AbortMessage(FinishReason? reason) =>
        reason?.Kind == FinishKind.Abort ? reason.Message ?? "aborted" : null;
}
