using Dllm.Chat;

namespace Dllm.Server.Endpoints.OpenAI;

/// <summary>A parsed <c>/v1/chat/completions</c> body.</summary>
/// <param name="Chat">The chat request: the conversation, the tools offered (none when <c>tool_choice</c> is <c>none</c>),
/// the sampling fields, SGLang's <c>rid</c> when given; up to the end of the context without a token limit.</param>
/// <param name="MaxTokensField">The token-limit field the request set (<c>max_tokens</c>, <c>max_completion_tokens</c>); null when none.</param>
/// <param name="Stream">Answer with <c>chat.completion.chunk</c> events.</param>
/// <param name="IncludeUsage">Send a usage chunk before <c>[DONE]</c> (<c>stream_options.include_usage</c>).</param>
internal sealed record ChatCall(ChatRequest Chat, string? MaxTokensField, bool Stream, bool IncludeUsage);
