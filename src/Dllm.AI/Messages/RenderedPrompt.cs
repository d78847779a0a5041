using Dllm.Chat;

namespace Dllm.AI.Messages;

/// <summary>A conversation rendered as a LLaDA prompt.</summary>
/// <param name="Prompt">The prompt, ending with the assistant's generation prompt; message content stays text when encoded.</param>
/// <param name="ParseToolCalls">Whether tools were offered, so <c>&lt;tool_call&gt;</c> blocks in the output are calls.</param>
internal sealed record RenderedPrompt(ChatPrompt Prompt, bool ParseToolCalls);
