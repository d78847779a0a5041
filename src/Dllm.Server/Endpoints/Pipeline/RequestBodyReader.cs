using System.Buffers;
using System.Text.Json;
using Dllm.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Dllm.Server.Endpoints.Pipeline;

/// <summary>Reads a request body as JSON: 413 above <see cref="DllmServerOptions.MaxRequestBodyBytes"/>, 400 for an empty or malformed body.</summary>
internal sealed class RequestBodyReader(IOptions<DllmServerOptions> options)
{
    /// <summary>The parsed body; the caller disposes it.</summary>
    public async Task<JsonDocument> ReadJsonAsync(HttpContext context)
    {
        long limit = options.Value.MaxRequestBodyBytes;
        if (context.Request.ContentLength > limit)
            throw ApiException.TooLarge(limit);
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
            sizeFeature.MaxRequestBodySize = limit + 1;
        var body = new ArrayBufferWriter<byte>(4096);
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
        if (body.WrittenCount == 0)
            throw ApiException.BadRequest("the request body is empty; expected a JSON object.");
        try
        {
            return JsonDocument.Parse(body.WrittenMemory.ToArray());
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"malformed JSON: {e.Message}");
        }
    }
}
