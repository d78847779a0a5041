using System.Runtime.CompilerServices;
using Dllm.Server.Endpoints.Json;
using Dllm.Server.Endpoints.OpenAI.Wire;
using Dllm.Server.Endpoints.Running;

namespace Dllm.Server.Endpoints.OpenAI;

/// <summary>
/// The <c>chat.completion.chunk</c> events of a streamed chat: the role first, a content delta per resolved block,
/// at the end the rest of the content, the tool calls (one delta, each call whole), the finish reason, and the
/// usage chunk when asked for.
/// </summary>
internal static class ChatChunkStream
{
    /// <summary>The events (JSON texts) of <paramref name="batch"/>'s one prompt.</summary>
    public static async IAsyncEnumerable<string> EventsAsync(GenerationBatch batch, ChatCall call, ResponseIdentity identity, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        bool tools = call.Tools.Count > 0;
        var filter = new StreamingTextFilter(tools, batch.Requests[0].Sampling.Stop);
        yield return Chunk(identity, new ChatDelta(Role: "assistant", Content: ""));
        await foreach (var update in batch.StreamAsync(cancellationToken).ConfigureAwait(false))
        {
            var state = update.Update;
            if (state.FinishReason is null)
            {
                string delta = filter.Next(state.Text);
                if (delta.Length > 0)
                    yield return Chunk(identity, new ChatDelta(Content: delta));
                continue;
            }
            var output = ChatOutput.From(state.Text, tools);
            string rest = filter.Rest(output.Content);
            if (rest.Length > 0)
                yield return Chunk(identity, new ChatDelta(Content: rest));
            if (output.ToolCalls.Count > 0)
                yield return Chunk(identity, new ChatDelta(ToolCalls: [.. output.ToolCalls.Select((c, i) => ToolCall.From(c, i))]));
            yield return Chunk(identity, new ChatDelta(), output.FinishReasonFor(state.FinishReason), OpenAiFinishReason.AbortMessage(state.FinishReason));
            if (call.IncludeUsage)
                yield return DllmJson.Serialize(new ChatChunk(identity.Id, identity.Created, identity.Model, [], Usage.Of([state])));
        }
    }

    private static string Chunk(ResponseIdentity identity, ChatDelta delta, string? finishReason = null, string? abortMessage = null) =>
        DllmJson.Serialize(new ChatChunk(identity.Id, identity.Created, identity.Model, [new ChatChunkChoice(0, delta, finishReason, abortMessage)]));
}
