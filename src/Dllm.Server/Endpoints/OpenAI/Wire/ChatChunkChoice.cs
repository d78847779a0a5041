using System.Text.Json.Serialization;

namespace Dllm.Server.Endpoints.OpenAI.Wire;

/// <summary>One choice of a streamed chat chunk; <c>finish_reason</c> is null until the last.</summary>
internal sealed record ChatChunkChoice(
    int Index,
    ChatDelta Delta,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? FinishReason = null)
{
    /// <summary>Log probabilities are not produced: always null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public object? Logprobs => null;
}
