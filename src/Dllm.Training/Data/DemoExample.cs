using Dllm.Chat;
using Dllm.Tokenization;

namespace Dllm.Training.Data;

/// <summary>
/// One generated chat example: the conversation up to the answer (rendered with the engine's LLaDA chat template,
/// ending with the generation prompt <c>&lt;role&gt;ASSISTANT&lt;/role&gt;</c>) and the answer the assistant must give.
/// </summary>
/// <param name="Task">The task's name (for per-task reports).</param>
/// <param name="Messages">The conversation before the answer.</param>
/// <param name="Tools">Tools described in the system turn (none for most tasks).</param>
/// <param name="Answer">The assistant's text; a tool call is written as the template writes one.</param>
public sealed record DemoExample(string Task, IReadOnlyList<ChatTurn> Messages, IReadOnlyList<ToolDefinition> Tools, string Answer)
{
    /// <summary>The prompt: the conversation rendered by <see cref="ChatTemplate"/> with the generation prompt.</summary>
    public ChatPrompt Prompt => ChatTemplate.RenderPrompt(Messages, Tools, addGenerationPrompt: true);

    /// <summary>What the model is trained to produce after the prompt: the answer and <c>&lt;|role_end|&gt;</c>.</summary>
    public string Response => Answer + LladaTokens.RoleEnd;
}
