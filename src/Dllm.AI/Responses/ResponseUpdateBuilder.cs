using Dllm.Chat;
using Microsoft.Extensions.AI;
using MeaiFinishReason = Microsoft.Extensions.AI.ChatFinishReason;

namespace Dllm.AI.Responses;

/// <summary>
/// Turns the engine's updates for one response into <see cref="ChatResponseUpdate"/>s: one per resolved block, each
/// with the response's ids, creation time, model id and the assistant role, its text what the chat policy's
/// <see cref="ChatStreamGate"/> lets show; the last one also with the rest of the text, the tool calls, one
/// <see cref="UsageContent"/> and the finish reason; with <see cref="DllmChatOptionKeys.ReturnSteps"/>, the engine's step
/// records under <see cref="DllmChatUpdateKeys.Steps"/> of each update's additional properties. Not thread-safe: one per response.
/// </summary>
internal sealed class ResponseUpdateBuilder(string responseId, string messageId, string modelId, DateTimeOffset createdAt, ChatStreamGate gate)
{
    /// <summary>The chat update for one engine update.</summary>
    /// <exception cref="InvalidOperationException">The engine aborted the generation (it failed or is shutting down).</exception>
    public ChatResponseUpdate Next(GenerationUpdate update)
    {
        if (update.FinishReason is null)
            return Create(update, Text(gate.Advance(update.Text)), finishReason: null);
        var output = gate.Complete(update);
        if (output.FinishReason == ChatFinish.Abort)
            throw new InvalidOperationException($"The engine aborted the generation: {output.AbortMessage}");
        var contents = Text(output.Rest);
        contents.AddRange(output.ToolCalls.Select(FunctionCallFactory.Create));
        contents.Add(new UsageContent(Usage(update)));
        MeaiFinishReason reason = output.FinishReason switch
        {
            ChatFinish.Length => MeaiFinishReason.Length,
            ChatFinish.ToolCalls => MeaiFinishReason.ToolCalls,
            _ => MeaiFinishReason.Stop,
        };
        return Create(update, contents, reason);
    }

    private ChatResponseUpdate Create(GenerationUpdate update, List<AIContent> contents, MeaiFinishReason? finishReason) => new(Microsoft.Extensions.AI.ChatRole.Assistant, contents)
    {
        ResponseId = responseId,
        MessageId = messageId,
        CreatedAt = createdAt,
        ModelId = modelId,
        FinishReason = finishReason,
        RawRepresentation = update,
        AdditionalProperties = update.Steps is null ? null : new() { [DllmChatUpdateKeys.Steps] = update.Steps },
    };

    private static List<AIContent> Text(string text) => text.Length > 0 ? [new TextContent(text)] : [];

    private static UsageDetails Usage(GenerationUpdate update) => new()
    {
        InputTokenCount = update.PromptTokens,
        CachedInputTokenCount = update.CachedTokens,
        OutputTokenCount = update.OutputIds.Count,
        TotalTokenCount = update.PromptTokens + update.OutputIds.Count,
        AdditionalCounts = new() { ["denoising_steps"] = update.DenoisingSteps },
    };
}
