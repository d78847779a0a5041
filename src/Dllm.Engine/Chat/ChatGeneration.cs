namespace Dllm.Chat;

/// <summary>A chat request as the engine runs it: the engine request, and whether its output may hold tool calls.</summary>
/// <param name="Request">The engine request: the rendered prompt's ids and the chat's stop rules.</param>
/// <param name="ToolsOffered">Whether tools were offered, so <c>&lt;tool_call&gt;</c> blocks in the output are calls.</param>
public sealed record ChatGeneration(GenerateRequest Request, bool ToolsOffered)
{
    /// <summary>A gate for one response to this request (streamed or not): what may be shown, and the final split.</summary>
    public ChatStreamGate CreateGate() => new(ToolsOffered, Request.Sampling.Stop);
}
