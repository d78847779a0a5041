namespace Dllm.Server.Endpoints.OpenAI.Wire;

/// <summary>An OpenAI <c>chat.completion</c>.</summary>
internal sealed record ChatCompletion(string Id, long Created, string Model, IReadOnlyList<ChatChoice> Choices, Usage Usage)
{
    /// <summary>Always <c>chat.completion</c>.</summary>
    public string Object => "chat.completion";
}
