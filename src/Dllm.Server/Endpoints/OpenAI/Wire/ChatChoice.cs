using System.Text.Json.Serialization;

namespace Dllm.Server.Endpoints.OpenAI.Wire;

/// <summary>One choice of a chat completion.</summary>
internal sealed record ChatChoice(int Index, ChatMessage Message, string FinishReason)
{
    /// <summary>Log probabilities are not produced: always null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public object? Logprobs => null;
}
