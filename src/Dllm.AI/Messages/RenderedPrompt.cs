namespace Dllm.AI.Messages;

/// <summary>A conversation rendered as a LLaDA prompt.</summary>
/// <param name="Text">The prompt text, ending with the assistant's generation prompt.</param>
/// <param name="ParseToolCalls">Whether tools were offered, so <c>&lt;tool_call&gt;</c> blocks in the output are calls.</param>
internal sealed record RenderedPrompt(string Text, bool ParseToolCalls);
