using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Dllm.Server.Endpoints.Json;
using Dllm.Server.Endpoints.Pipeline;
using Dllm.Server.Endpoints.Running;
using Dllm.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dllm.Server.Endpoints.Generate;

/// <summary>
/// <c>POST /generate</c> (SGLang's native route): one prompt or a list; a JSON object or list in input order, or
/// server-sent events with one event per resolved block.
/// </summary>
internal sealed class GenerateEndpoint(RequestBodyReader body, GenerationRunner runner, IOptions<DllmServerOptions> options, ILogger<GenerateEndpoint> logger) : IDllmEndpoint
{
    /// <inheritdoc />
    public IReadOnlyList<string> Methods { get; } = ["POST", "PUT"];

    /// <inheritdoc />
    public IReadOnlyList<string> Patterns { get; } = ["/generate"];

    /// <inheritdoc />
    public async Task HandleAsync(HttpContext context)
    {
        GenerateCall call;
        using (var json = await body.ReadJsonAsync(context).ConfigureAwait(false))
            call = GenerateCallReader.Read(json.RootElement, options.Value.MaxPromptsPerRequest);
        await using var batch = runner.Start(call.Requests, RequestOwner.Of(context), call.FieldNames, context.RequestAborted);
        if (call.Stream)
        {
            await SseResponse.WriteAsync(context, EventsAsync(batch, call.IsBatch, context.RequestAborted), logger).ConfigureAwait(false);
            return;
        }
        var finals = await batch.CompleteAsync(context.RequestAborted).ConfigureAwait(false);
        JsonNode result = call.IsBatch
            ? new JsonArray([.. finals.Select(f => (JsonNode?)GenerateJson.From(f, withIndex: false))])
            : GenerateJson.From(finals[0], withIndex: false);
        await DllmJson.WriteAsync(context, result).ConfigureAwait(false);
    }

    private static async IAsyncEnumerable<string> EventsAsync(GenerationBatch batch, bool withIndex, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var update in batch.StreamAsync(cancellationToken).ConfigureAwait(false))
            yield return DllmJson.Serialize(GenerateJson.From(update, withIndex));
    }
}
