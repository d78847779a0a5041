using System.Text.Json.Serialization;

namespace Dllm.Server.Endpoints.OpenAI.Wire;

/// <summary>One choice of a streamed chat chunk; <c>finish_reason</c> is null until the last, which carries
/// <c>abort_message</c> (Dllm's extra field) when the request was aborted.</summary>
internal sealed record ChatChunkChoice(
    int Index,
    ChatDelta Delta,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? FinishReason = null,
    string? AbortMessage = null)
{
    /// <summary>Log probabilities are not produced: always null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public object? Logprobs => null;
}
