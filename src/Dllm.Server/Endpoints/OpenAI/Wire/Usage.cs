namespace Dllm.Server.Endpoints.OpenAI.Wire;

/// <summary>OpenAI <c>usage</c>, with <c>prompt_tokens_details.cached_tokens</c>: the prompt tokens whose K/V came from the
/// prefix cache.</summary>
internal sealed record Usage(int PromptTokens, int CompletionTokens, PromptTokensDetails PromptTokensDetails)
{
    /// <summary>Prompt plus completion tokens.</summary>
    public int TotalTokens => PromptTokens + CompletionTokens;

    /// <summary>The usage of several prompts' final updates.</summary>
    public static Usage Of(IEnumerable<GenerationUpdate> finals)
    {
        var list = finals.ToList();
        return new Usage(list.Sum(u => u.PromptTokens), list.Sum(u => u.OutputIds.Count), new PromptTokensDetails(list.Sum(u => u.CachedTokens)));
    }
}
