using Dllm.Chat;

namespace Dllm.Server.Endpoints.OpenAI;

/// <summary>
/// Maps the chat policy's finish reason to OpenAI's <c>finish_reason</c>, which only knows <c>stop</c>, <c>length</c>,
/// <c>tool_calls</c>, <c>content_filter</c> and <c>function_call</c>: a request aborted on purpose (<c>/abort_request</c>,
/// shutdown) ends with <c>stop</c>, and its reason goes into the choice's extra <c>abort_message</c> field.
/// </summary>
internal static class OpenAiFinishReason
{
    /// <summary><c>stop</c>, <c>length</c> or <c>tool_calls</c>; an abort is <c>stop</c>.</summary>
    public static string From(ChatFinish reason) => reason switch
    {
        ChatFinish.Length => "length",
        ChatFinish.ToolCalls => "tool_calls",
        _ => "stop",
    };
}
