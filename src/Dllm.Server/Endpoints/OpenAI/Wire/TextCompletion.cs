namespace Dllm.Server.Endpoints.OpenAI.Wire;

/// <summary>An OpenAI <c>text_completion</c> (also each streamed chunk, with the choices that changed).</summary>
internal sealed record TextCompletion(string Id, long Created, string Model, IReadOnlyList<TextChoice> Choices, Usage? Usage = null)
{
    /// <summary>Always <c>text_completion</c>.</summary>
    public string Object => "text_completion";
}
