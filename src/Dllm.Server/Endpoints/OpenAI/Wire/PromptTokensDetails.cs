namespace Dllm.Server.Endpoints.OpenAI.Wire;

/// <summary>OpenAI <c>usage.prompt_tokens_details</c>.</summary>
/// <param name="CachedTokens">Prompt tokens served from the prefix cache (not prefilled again).</param>
internal sealed record PromptTokensDetails(int CachedTokens);
