using System.Runtime.CompilerServices;
using Dllm.Chat;
using Dllm.Server.Endpoints.Json;
using Dllm.Server.Endpoints.OpenAI.Wire;
using Dllm.Server.Endpoints.Running;

namespace Dllm.Server.Endpoints.OpenAI;

/// <summary>
/// The <c>chat.completion.chunk</c> events of a streamed chat: the role first, a content delta per resolved block (what
/// the chat policy's <see cref="ChatStreamGate"/> lets show), at the end the rest of the content, the tool calls (one
/// delta, each call whole), the finish reason, and the usage chunk when asked for.
/// </summary>
internal static class ChatChunkStream
{
    /// <summary>The events (JSON texts) of <paramref name="batch"/>'s one prompt.</summary>
    public static async IAsyncEnumerable<string> EventsAsync(GenerationBatch batch, ChatStreamGate gate, bool includeUsage, ResponseIdentity identity,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return Chunk(identity, new ChatDelta(Role: "assistant", Content: ""));
        await foreach (var update in batch.StreamAsync(cancellationToken).ConfigureAwait(false))
        {
            var state = update.Update;
            if (state.FinishReason is null)
            {
                string delta = gate.Advance(state.Text);
                if (delta.Length > 0)
                    yield return Chunk(identity, new ChatDelta(Content: delta));
                continue;
            }
            var output = OpenAiChatOutput.From(gate.Complete(state));
            if (output.Rest.Length > 0)
                yield return Chunk(identity, new ChatDelta(Content: output.Rest));
            if (output.ToolCalls.Count > 0)
                yield return Chunk(identity, new ChatDelta(ToolCalls: [.. output.ToolCalls.Select((c, i) => ToolCall.From(c, i))]));
            yield return Chunk(identity, new ChatDelta(), output.FinishReason, output.AbortMessage);
            if (includeUsage)
                yield return DllmJson.Serialize(new ChatChunk(identity.Id, identity.Created, identity.Model, [], Usage.Of([state])));
        }
    }

    private static string Chunk(ResponseIdentity identity, ChatDelta delta, string? finishReason = null, string? abortMessage = null) =>
        DllmJson.Serialize(new ChatChunk(identity.Id, identity.Created, identity.Model, [new ChatChunkChoice(0, delta, finishReason, abortMessage)]));
}
