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
/// <c>POST /v1/chat/completions</c>: the messages rendered with the LLaDA2 chat template (tools included) and encoded
/// with their content as text (a control-token string in content never becomes a control token), generation
/// stopping at EOS or <c>&lt;|role_end|&gt;</c>, tool calls parsed from the output when tools were offered.
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
        int[] promptIds = RenderPrompt(call).Encode(generator.Tokenizer);
        var sampling = call.Sampling.Sampling;
        var request = new GenerateRequest
        {
            InputIds = promptIds,
            Sampling = sampling with { StopTokenIds = [.. sampling.StopTokenIds, generator.Tokenizer.RoleEndTokenId] },
            UntilContextEnd = !call.Sampling.MaxTokensGiven,
            RequestId = call.RequestId ?? Guid.NewGuid().ToString("N"),
        };
        var identity = ResponseIdentity.For("chatcmpl", request.RequestId, generator.ModelName);
        await using var batch = runner.Start([request], RequestOwner.Of(context), RequestFieldNames.Chat(call.Sampling.MaxTokensField ?? "max_tokens"), context.RequestAborted);
        if (call.Stream)
        {
            await SseResponse.WriteAsync(context, ChatChunkStream.EventsAsync(batch, call, identity, context.RequestAborted), logger).ConfigureAwait(false);
            return;
        }
        var final = (await batch.CompleteAsync(context.RequestAborted).ConfigureAwait(false))[0].Update;
        var output = ChatOutput.From(final.Text, call.Tools.Count > 0);
        var message = new ChatMessage(
            output.ToolCalls.Count > 0 && output.Content.Length == 0 ? null : output.Content,
            output.ToolCalls.Count > 0 ? [.. output.ToolCalls.Select(c => ToolCall.From(c))] : null);
        var completion = new ChatCompletion(identity.Id, identity.Created, identity.Model,
            [new ChatChoice(0, message, output.FinishReasonFor(final.FinishReason!), OpenAiFinishReason.AbortMessage(final.FinishReason))], Usage.Of([final]));
        await DllmJson.WriteAsync(context, completion).ConfigureAwait(false);
    }

    private static ChatPrompt RenderPrompt(ChatCall call)
    {
        try
        {
            return ChatTemplate.RenderPrompt(call.Messages, call.Tools);
        }
        catch (ArgumentException e)
        {
            throw ApiException.BadRequest(e.Message.Replace(" (Parameter 'tool')", "", StringComparison.Ordinal), "tools");
        }
    }
}
