using System.Net.ServerSentEvents;
using System.Text.Json;

namespace Dllm.Server.Tests.Infrastructure;

/// <summary>Reads a streamed response with the framework's SSE parser (System.Net.ServerSentEvents).</summary>
internal static class ServerSentEvents
{
    /// <summary>The <c>data</c> of every event, to the end of the stream.</summary>
    public static async Task<List<string>> ReadAllAsync(HttpResponseMessage response, CancellationToken cancellationToken = default)
    {
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var events = new List<string>();
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(cancellationToken))
            events.Add(item.Data);
        return events;
    }

    /// <summary>The events of a finished stream as JSON, checking that the last one is <c>[DONE]</c> and only it.</summary>
    public static List<JsonElement> JsonUntilDone(IReadOnlyList<string> events)
    {
        Assert.NotEmpty(events);
        Assert.Equal("[DONE]", events[^1]);
        Assert.DoesNotContain("[DONE]", events.SkipLast(1));
        return [.. events.SkipLast(1).Select(e => JsonDocument.Parse(e).RootElement.Clone())];
    }
}
