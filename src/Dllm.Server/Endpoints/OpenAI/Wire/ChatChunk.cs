namespace Dllm.Server.Endpoints.OpenAI.Wire;

/// <summary>An OpenAI <c>chat.completion.chunk</c>; the usage chunk has no choices.</summary>
internal sealed record ChatChunk(string Id, long Created, string Model, IReadOnlyList<ChatChunkChoice> Choices, Usage? Usage = null)
{
    /// <summary>Always <c>chat.completion.chunk</c>.</summary>
    public string Object => "chat.completion.chunk";
}
