using System.Text.Json.Serialization;

namespace Dllm.Server.Endpoints.OpenAI.Wire;

/// <summary>One choice of a chat completion; <c>abort_message</c> (Dllm's extra field) says why an aborted request stopped.</summary>
internal sealed record ChatChoice(int Index, ChatMessage Message, string FinishReason, string? AbortMessage = null)
{
    /// <summary>Log probabilities are not produced: always null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public object? Logprobs => null;
}
