using System.Text.Json.Serialization;

namespace Dllm.Server.Endpoints.OpenAI.Wire;

/// <summary>One choice of a text completion (or a streamed piece of it; <c>finish_reason</c> null until its last);
/// <c>abort_message</c> (Dllm's extra field) says why an aborted request stopped.</summary>
internal sealed record TextChoice(
    int Index,
    string Text,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? FinishReason,
    string? AbortMessage = null)
{
    /// <summary>Log probabilities are not produced: always null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public object? Logprobs => null;
}
