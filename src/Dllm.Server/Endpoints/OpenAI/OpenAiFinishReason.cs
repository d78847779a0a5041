namespace Dllm.Server.Endpoints.OpenAI;

/// <summary>Maps the engine's finish reason to OpenAI's <c>finish_reason</c>.</summary>
internal static class OpenAiFinishReason
{
    /// <summary><c>stop</c> (or <c>tool_calls</c> when the output holds tool calls), <c>length</c>, or <c>abort</c>.</summary>
    public static string From(FinishReason reason, bool hasToolCalls) => reason.Kind switch
    {
        FinishKind.Stop => hasToolCalls ? "tool_calls" : "stop",
        FinishKind.Length => "length",
        _ => "abort",
    };
}
