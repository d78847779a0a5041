using Dllm.Chat;
using Dllm.Server.Endpoints.Json;
using Dllm.Server.Endpoints.OpenAI.Wire;
using Dllm.Server.Endpoints.Pipeline;
using Dllm.Server.Endpoints.Running;
using Dllm.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Dllm.Server.Endpoints.OpenAI;

/// <summary>
/// <c>POST /v1/chat/completions</c>: the body read into a <see cref="ChatRequest"/> and run by the chat policy that the
/// <c>IChatClient</c> uses too (<see cref="ChatRequestBuilder"/>: the LLaDA2 template, content encoded as text, stops at
/// the end of the turn; <see cref="ChatStreamGate"/>: the hold-back and the tool-call split), mapped onto OpenAI's wire.
/// </summary>
internal sealed class ChatCompletionsEndpoint(RequestBodyReader body, GenerationRunner runner, ILogger<ChatCompletionsEndpoint> logger) : IDllmEndpoint
{
    /// <inheritdoc />
    public IReadOnlyList<string> Methods { get; } = ["POST"];

    /// <inheritdoc />
    public IReadOnlyList<string> Patterns { get; } = ["/v1/chat/completions"];

    /// <inheritdoc />
    public async Task HandleAsync(HttpContext context)
    {
        ChatCall call;
        using (var json = await body.ReadJsonAsync(context).ConfigureAwait(false))
            call = ChatCallReader.Read(json.RootElement);
        var (_, generator) = runner.RequireReady();
        string rid = call.Chat.Generation.RequestId ?? Guid.NewGuid().ToString("N");
        var generation = Build(call.Chat with { Generation = call.Chat.Generation with { RequestId = rid } }, generator);
        var identity = ResponseIdentity.For("chatcmpl", rid, generator.ModelName);
        await using var batch = runner.Start([generation.Request], RequestOwner.Of(context), RequestFieldNames.Chat(call.MaxTokensField ?? "max_tokens"), context.RequestAborted);
        if (call.Stream)
        {
            await SseResponse.WriteAsync(context, ChatChunkStream.EventsAsync(batch, generation.CreateGate(), call.IncludeUsage, identity, context.RequestAborted), logger).ConfigureAwait(false);
            return;
        }
        var final = (await batch.CompleteAsync(context.RequestAborted).ConfigureAwait(false))[0].Update;
        var output = OpenAiChatOutput.From(generation.CreateGate().Complete(final));
        var message = new ChatMessage(
            output.ToolCalls.Count > 0 && output.Content.Length == 0 ? null : output.Content,
            output.ToolCalls.Count > 0 ? [.. output.ToolCalls.Select(c => ToolCall.From(c))] : null);
        var completion = new ChatCompletion(identity.Id, identity.Created, identity.Model,
            [new ChatChoice(0, message, output.FinishReason, output.AbortMessage)], Usage.Of([final]));
        await DllmJson.WriteAsync(context, completion).ConfigureAwait(false);
    }

    private static ChatGeneration Build(ChatRequest chat, IDllmGenerator generator)
    {
        try
        {
            return ChatRequestBuilder.Build(chat, generator.Tokenizer);
        }
        catch (ArgumentException e)
        {
            throw ApiException.BadRequest(e.Message.Replace(" (Parameter 'tool')", "", StringComparison.Ordinal), "tools");
        }
    }
}
