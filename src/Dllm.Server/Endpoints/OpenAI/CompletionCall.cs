namespace Dllm.Server.Endpoints.OpenAI;

/// <summary>A parsed <c>/v1/completions</c> body.</summary>
/// <param name="Prompts">One prompt per choice (text or token ids, sampling not yet set).</param>
/// <param name="Sampling">The sampling fields.</param>
/// <param name="Stream">Answer with streamed <c>text_completion</c> chunks.</param>
/// <param name="IncludeUsage">Send a usage chunk before <c>[DONE]</c>.</param>
/// <param name="RequestId">SGLang's <c>rid</c>, when given.</param>
internal sealed record CompletionCall(IReadOnlyList<GenerateRequest> Prompts, OpenAiSampling Sampling, bool Stream, bool IncludeUsage, string? RequestId);
