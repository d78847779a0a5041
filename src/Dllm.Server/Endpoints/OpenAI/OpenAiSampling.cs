using Dllm.Decoding;

namespace Dllm.Server.Endpoints.OpenAI;

/// <summary>The sampling parameters of an OpenAI request, and whether it set a token limit.</summary>
/// <param name="Sampling">The parameters (with the default limit when none was given).</param>
/// <param name="MaxTokensField">The token-limit field the request set (<c>max_tokens</c>, <c>max_completion_tokens</c>);
/// null when none: the limit is then the rest of the context.</param>
internal sealed record OpenAiSampling(SamplingParams Sampling, string? MaxTokensField)
{
    /// <summary>Whether the request set a token limit.</summary>
    public bool MaxTokensGiven => MaxTokensField is not null;
}
