using System.Buffers;
using System.Text.Json;
using Dllm.Server.Endpoints.Json;
using Dllm.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Dllm.Server.Endpoints.Pipeline;

/// <summary>
/// Reads a request body as JSON, the same way for every route: 415 unless it is declared JSON, 413 above
/// <see cref="DllmServerOptions.MaxRequestBodyBytes"/>, 400 for an empty or malformed body, for text that is not
/// valid UTF-8 or holds a lone surrogate, and for a list of more token ids than the context length (found by
/// <see cref="JsonBodyScanner"/> before the body is parsed, so a huge list costs one pass over its bytes).
/// </summary>
internal sealed class RequestBodyReader(IOptions<DllmServerOptions> options, DllmServerState state)
{
    /// <summary>The parsed body; the caller disposes it.</summary>
    public async Task<JsonDocument> ReadJsonAsync(HttpContext context)
    {
        JsonContentType.Require(context.Request);
        var body = await ReadBytesAsync(context).ConfigureAwait(false);
        if (body.Length == 0)
            throw ApiException.BadRequest("the request body is empty; expected a JSON object.");
        var (maxNumbers, reason) = NumberLimit();
        JsonBodyScanner.Scan(body.Span, maxNumbers, reason);
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"malformed JSON: {e.Message}");
        }
    }

    /// <summary>The body's bytes, read into one buffer of its declared length (or grown while reading a body without one).</summary>
    private async Task<ReadOnlyMemory<byte>> ReadBytesAsync(HttpContext context)
    {
        long limit = options.Value.MaxRequestBodyBytes;
        long? length = context.Request.ContentLength;
        if (length > limit)
            throw ApiException.TooLarge(limit);
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
            sizeFeature.MaxRequestBodySize = limit + 1;
        if (length is long known)
        {
            var exact = new byte[known];
            int filled = 0;
            while (filled < exact.Length)
            {
                int read = await context.Request.Body.ReadAsync(exact.AsMemory(filled), context.RequestAborted).ConfigureAwait(false);
                if (read == 0)
                    break;
                filled += read;
            }
            return exact.AsMemory(0, filled);
        }
        var body = new ArrayBufferWriter<byte>(16 * 1024);
        while (true)
        {
            var memory = body.GetMemory(16 * 1024);
            int read = await context.Request.Body.ReadAsync(memory, context.RequestAborted).ConfigureAwait(false);
            if (read == 0)
                break;
            body.Advance(read);
            if (body.WrittenCount > limit)
                throw ApiException.TooLarge(limit);
        }
        return body.WrittenMemory;
    }

    /// <summary>
    /// No list may hold more numbers than the context length (a prompt's token ids, stop ids) or than the prompts a
    /// request may carry, whichever is more; unlimited until the engine has loaded.
    /// </summary>
    private (int Max, string Reason) NumberLimit()
    {
        if (state.Engine is not { } engine)
            return (int.MaxValue, "");
        int prompts = options.Value.MaxPromptsPerRequest;
        return engine.ContextLength >= prompts
            ? (engine.ContextLength, $"the context length is {engine.ContextLength} tokens")
            : (prompts, $"a request may carry at most {prompts} prompts");
    }
}
