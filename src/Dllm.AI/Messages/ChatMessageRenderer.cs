using System.Text.Json;
using Dllm.Chat;
using Microsoft.Extensions.AI;
using DllmRole = Dllm.Chat.ChatRole;
using MeaiRole = Microsoft.Extensions.AI.ChatRole;

namespace Dllm.AI.Messages;

/// <summary>
/// Turns Microsoft.Extensions.AI messages into the engine's chat turns and tools (<see cref="ChatRequest"/>, which the
/// chat policy renders with <see cref="ChatTemplate"/>):
/// <see cref="ChatOptions.Instructions"/> and the leading system messages become the system turn (joined with "\n");
/// an assistant's <see cref="FunctionCallContent"/>s become its tool calls; each <see cref="FunctionResultContent"/>
/// becomes a tool result (an OBSERVATION turn); the <see cref="AIFunctionDeclaration"/>s of
/// <see cref="ChatOptions.Tools"/> are described in the system turn unless the tool mode is none. Content the model
/// cannot read (images, audio, ...) is left out; roles other than system, assistant and tool speak as the user. All
/// of it is content of the prompt: encoded as text, a control-token string in it stays text.
/// </summary>
internal static class ChatMessageRenderer
{
    /// <summary>The turns and tools of <paramref name="messages"/> under <paramref name="options"/>.</summary>
    public static ChatRequest Render(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var system = new List<string>();
        if (!string.IsNullOrEmpty(options?.Instructions))
            system.Add(options.Instructions);
        var turns = new List<ChatTurn>();
        foreach (ChatMessage message in messages)
        {
            if (turns.Count == 0 && message.Role == MeaiRole.System)
            {
                if (message.Text.Length > 0)
                    system.Add(message.Text);
                continue;
            }
            AddTurns(turns, message);
        }
        if (system.Count > 0)
            turns.Insert(0, ChatTurn.System(string.Join("\n", system)));
        return new ChatRequest { Turns = turns, Tools = ToolsOf(options) };
    }

    private static void AddTurns(List<ChatTurn> turns, ChatMessage message)
    {
        var results = message.Contents.OfType<FunctionResultContent>().ToList();
        if (message.Role == MeaiRole.Tool || results.Count > 0)
        {
            turns.AddRange(results.Count > 0 ? results.Select(r => ChatTurn.Tool(ResultText(r.Result))) : [ChatTurn.Tool(message.Text)]);
            return;
        }
        if (message.Role == MeaiRole.Assistant)
        {
            turns.Add(ChatTurn.Assistant(message.Text, [.. message.Contents.OfType<FunctionCallContent>().Select(ToolCall)]));
            return;
        }
        turns.Add(new ChatTurn(message.Role == MeaiRole.System ? DllmRole.System : DllmRole.User, message.Text));
    }

    private static ToolCallRequest ToolCall(FunctionCallContent call) =>
        new(call.Name, JsonSerializer.Serialize(call.Arguments ?? new Dictionary<string, object?>(), AIJsonUtilities.DefaultOptions));

    /// <summary>A tool result as the model reads it: text as is, anything else as JSON.</summary>
    private static string ResultText(object? result) => result switch
    {
        null => "",
        string text => text,
        JsonElement { ValueKind: JsonValueKind.String } element => element.GetString()!,
        JsonElement element => element.GetRawText(),
        _ => JsonSerializer.Serialize(result, AIJsonUtilities.DefaultOptions),
    };

    private static IReadOnlyList<ToolDefinition> ToolsOf(ChatOptions? options)
    {
        if (options?.Tools is not { Count: > 0 } tools || options.ToolMode is NoneChatToolMode)
            return [];
        return [.. tools.OfType<AIFunctionDeclaration>().Select(f => new ToolDefinition(
            f.Name,
            string.IsNullOrEmpty(f.Description) ? null : f.Description,
            f.JsonSchema.ValueKind == JsonValueKind.Undefined ? null : f.JsonSchema.GetRawText()))];
    }
}
