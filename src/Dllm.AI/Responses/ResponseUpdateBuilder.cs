using Microsoft.Extensions.AI;

namespace Dllm.AI.Responses;

/// <summary>
/// Turns the engine's updates for one response into <see cref="ChatResponseUpdate"/>s: one per resolved block, each
/// with the response's ids, creation time, model id and the assistant role; the last one also with the rest of the
/// text, the tool calls, one <see cref="UsageContent"/> and the finish reason. Not thread-safe: one per response.
/// </summary>
internal sealed class ResponseUpdateBuilder(string responseId, string messageId, string modelId, DateTimeOffset createdAt, ResponseTextGate gate)
{
    /// <summary>The chat update for one engine update.</summary>
    /// <exception cref="InvalidOperationException">The engine aborted the generation (it failed or is shutting down).</exception>
    public ChatResponseUpdate Next(GenerationUpdate update)
    {
        if (update.FinishReason is not { } finish)
            return Create(update, Text(gate.Advance(update.Text)), finishReason: null);
        if (finish.Kind == FinishKind.Abort)
            throw new InvalidOperationException($"The engine aborted the generation: {finish.Message}");
        var (text, toolCalls) = gate.Complete(update.Text);
        var contents = Text(text);
        contents.AddRange(toolCalls.Select(FunctionCallFactory.Create));
        contents.Add(new UsageContent(Usage(update)));
        ChatFinishReason reason = finish.Kind == FinishKind.Length ? ChatFinishReason.Length
            : toolCalls.Count > 0 ? ChatFinishReason.ToolCalls
            : ChatFinishReason.Stop;
        return Create(update, contents, reason);
    }

    private ChatResponseUpdate Create(GenerationUpdate update, List<AIContent> contents, ChatFinishReason? finishReason) => new(ChatRole.Assistant, contents)
    {
        ResponseId = responseId,
        MessageId = messageId,
        CreatedAt = createdAt,
        ModelId = modelId,
        FinishReason = finishReason,
        RawRepresentation = update,
    };

    private static List<AIContent> Text(string text) => text.Length > 0 ? [new TextContent(text)] : [];

    private static UsageDetails Usage(GenerationUpdate update) => new()
    {
        InputTokenCount = update.PromptTokens,
        OutputTokenCount = update.OutputIds.Count,
        TotalTokenCount = update.PromptTokens + update.OutputIds.Count,
        AdditionalCounts = new() { ["denoising_steps"] = update.DenoisingSteps },
    };
}
