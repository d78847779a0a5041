using Dllm.Decoding;

namespace Dllm.Server.Endpoints.OpenAI;

/// <summary>The sampling parameters of an OpenAI request, and whether it set a token limit.</summary>
/// <param name="Sampling">The parameters (with the default limit when none was given).</param>
/// <param name="MaxTokensGiven">False when the request set no <c>max_tokens</c>: the limit is then the rest of the context.</param>
internal sealed record OpenAiSampling(SamplingParams Sampling, bool MaxTokensGiven)
{
    /// <summary>The parameters for a prompt of <paramref name="promptTokens"/> tokens: without a given limit, generate up to the end of the context (as SGLang).</summary>
    public SamplingParams For(int promptTokens, DllmEngine engine) =>
        MaxTokensGiven ? Sampling : Sampling with { MaxNewTokens = Math.Max(0, engine.ContextLength - promptTokens - engine.BlockSize) };
}
