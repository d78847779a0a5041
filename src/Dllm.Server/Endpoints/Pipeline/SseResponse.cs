using Dllm.Server.Diagnostics;
using Dllm.Server.Endpoints.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace Dllm.Server.Endpoints.Pipeline;

/// <summary>
/// Server-sent events as SGLang and OpenAI write them: <c>data: &lt;json&gt;\n\n</c> per event, flushed at once,
/// then <c>data: [DONE]\n\n</c>. An error after the stream started is sent as <c>data: {"error": {...}}</c> and is
/// followed by <c>[DONE]</c> (SGLang does the same); a client that went away ends the stream silently.
/// </summary>
internal static class SseResponse
{
    /// <summary>The end-of-stream marker.</summary>
    public const string Done = "[DONE]";

    /// <summary>Streams <paramref name="events"/> (JSON texts) as the response.</summary>
    public static async Task WriteAsync(HttpContext context, IAsyncEnumerable<string> events, ILogger logger)
    {
        var response = context.Response;
        var cancellation = context.RequestAborted;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers[HeaderNames.CacheControl] = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.StartAsync(cancellation).ConfigureAwait(false);
        try
        {
            await foreach (string data in events.WithCancellation(cancellation).ConfigureAwait(false))
                await WriteEventAsync(response, data, cancellation).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellation.IsCancellationRequested)
        {
            var error = ApiErrors.From(e);
            if (ApiErrors.IsReported(e))
                logger.StreamEndedByError(context.Request.Path, error.Message);
            else
                logger.StreamFailed(e, context.Request.Path);
            await WriteEventAsync(response, DllmJson.Serialize(ApiErrors.ToJson(error)), cancellation).ConfigureAwait(false);
        }
        await WriteEventAsync(response, Done, cancellation).ConfigureAwait(false);
    }

    private static async Task WriteEventAsync(HttpResponse response, string data, CancellationToken cancellation)
    {
        await response.WriteAsync($"data: {data}\n\n", cancellation).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellation).ConfigureAwait(false);
    }
}
