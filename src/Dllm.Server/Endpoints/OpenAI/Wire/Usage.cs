namespace Dllm.Server.Endpoints.OpenAI.Wire;

/// <summary>OpenAI <c>usage</c>.</summary>
internal sealed record Usage(int PromptTokens, int CompletionTokens)
{
    /// <summary>Prompt plus completion tokens.</summary>
    public int TotalTokens => PromptTokens + CompletionTokens;

    /// <summary>The usage of several prompts' final updates.</summary>
    public static Usage Of(IEnumerable<GenerationUpdate> finals)
    {
        var list = finals.ToList();
        return new Usage(list.Sum(u => u.PromptTokens), list.Sum(u => u.OutputIds.Count));
    }
}
