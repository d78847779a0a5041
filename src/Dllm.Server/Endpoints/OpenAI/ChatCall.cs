using Dllm.Chat;

namespace Dllm.Server.Endpoints.OpenAI;

/// <summary>A parsed <c>/v1/chat/completions</c> body.</summary>
/// <param name="Messages">The conversation.</param>
/// <param name="Tools">The tools offered (empty when none, or when <c>tool_choice</c> is <c>none</c>).</param>
/// <param name="Sampling">The sampling fields.</param>
/// <param name="Stream">Answer with <c>chat.completion.chunk</c> events.</param>
/// <param name="IncludeUsage">Send a usage chunk before <c>[DONE]</c> (<c>stream_options.include_usage</c>).</param>
/// <param name="RequestId">SGLang's <c>rid</c>, when given.</param>
internal sealed record ChatCall(
    IReadOnlyList<ChatTurn> Messages,
    IReadOnlyList<ToolDefinition> Tools,
    OpenAiSampling Sampling,
    bool Stream,
    bool IncludeUsage,
    string? RequestId);
