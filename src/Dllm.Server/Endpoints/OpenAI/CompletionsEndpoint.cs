using System.Runtime.CompilerServices;
using Dllm.Chat;
using Dllm.Server.Endpoints.Json;
using Dllm.Server.Endpoints.OpenAI.Wire;
using Dllm.Server.Endpoints.Pipeline;
using Dllm.Server.Endpoints.Running;
using Dllm.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dllm.Server.Endpoints.OpenAI;

/// <summary><c>POST /v1/completions</c>: raw prompts (no template), one choice per prompt in input order, streamed or not.</summary>
internal sealed class CompletionsEndpoint(RequestBodyReader body, GenerationRunner runner, IOptions<DllmServerOptions> options, ILogger<CompletionsEndpoint> logger) : IDllmEndpoint
{
    /// <inheritdoc />
    public IReadOnlyList<string> Methods { get; } = ["POST"];

    /// <inheritdoc />
    public IReadOnlyList<string> Patterns { get; } = ["/v1/completions"];

    /// <inheritdoc />
    public async Task HandleAsync(HttpContext context)
    {
        CompletionCall call;
        using (var json = await body.ReadJsonAsync(context).ConfigureAwait(false))
            call = CompletionCallReader.Read(json.RootElement, options.Value.MaxPromptsPerRequest);
        var (_, generator) = runner.RequireReady();
        string baseId = call.RequestId ?? Guid.NewGuid().ToString("N");
        var requests = call.Prompts
            .Select((prompt, i) => prompt with { Sampling = call.Sampling.Sampling, RequestId = call.Prompts.Count == 1 ? baseId : $"{baseId}-{i}" })
            .ToList();
        var identity = ResponseIdentity.For("cmpl", baseId, generator.ModelName);
        await using var batch = runner.Start(requests, RequestOwner.Of(context), RequestFieldNames.Completions(isBatch: requests.Count > 1), context.RequestAborted,
            batchId: requests.Count > 1 ? baseId : null);
        if (call.Stream)
        {
            await SseResponse.WriteAsync(context, EventsAsync(batch, call, identity, context.RequestAborted), logger).ConfigureAwait(false);
            return;
        }
        var finals = (await batch.CompleteAsync(context.RequestAborted).ConfigureAwait(false)).Select(f => f.Update).ToList();
        var choices = finals.Select((f, i) => Choice(i, Gate(batch.Requests[i]).Complete(f), whole: true)).ToList();
        await DllmJson.WriteAsync(context, new TextCompletion(identity.Id, identity.Created, identity.Model, choices, Usage.Of(finals))).ConfigureAwait(false);
    }

    /// <summary>A prompt's gate: the chat policy's hold-back of stop strings, without tools (a raw completion has none).</summary>
    private static ChatStreamGate Gate(PreparedRequest request) => new(toolsOffered: false, request.Sampling.Stop);

    /// <summary>The choice that ends a prompt: all its text (<paramref name="whole"/>) or the rest the stream has not sent.</summary>
    private static TextChoice Choice(int index, ChatOutput output, bool whole) =>
        new(index, whole ? output.Text : output.Rest, OpenAiFinishReason.From(output.FinishReason), output.AbortMessage);

    private static async IAsyncEnumerable<string> EventsAsync(GenerationBatch batch, CompletionCall call, ResponseIdentity identity, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var gates = batch.Requests.Select(Gate).ToArray();
        var finals = new List<GenerationUpdate>();
        await foreach (var update in batch.StreamAsync(cancellationToken).ConfigureAwait(false))
        {
            var state = update.Update;
            var gate = gates[update.Index];
            TextChoice? choice;
            if (state.FinishReason is null)
            {
                string delta = gate.Advance(state.Text);
                choice = delta.Length > 0 ? new TextChoice(update.Index, delta, null, null) : null;
            }
            else
            {
                finals.Add(state);
                choice = Choice(update.Index, gate.Complete(state), whole: false);
            }
            if (choice is not null)
                yield return DllmJson.Serialize(new TextCompletion(identity.Id, identity.Created, identity.Model, [choice]));
        }
        if (call.IncludeUsage)
            yield return DllmJson.Serialize(new TextCompletion(identity.Id, identity.Created, identity.Model, [], Usage.Of(finals)));
    }
}
