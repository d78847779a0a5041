using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Dllm.Server.Tests.Infrastructure;

/// <summary>Small HTTP helpers: raw JSON bodies (so malformed ones can be sent too) and parsed answers.</summary>
internal static class Http
{
    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    public static Task<HttpResponseMessage> PostAsync(this HttpClient client, string path, string body, CancellationToken cancellationToken = default) =>
        client.PostAsync(path, Json(body), cancellationToken);

    /// <summary>Posts and sends the answer's headers back as soon as they arrive (for streams).</summary>
    public static Task<HttpResponseMessage> PostStreamingAsync(this HttpClient client, string path, string body, CancellationToken cancellationToken = default) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = Json(body) }, HttpCompletionOption.ResponseHeadersRead, cancellationToken);

    /// <summary>Posts with a bearer key.</summary>
    public static Task<HttpResponseMessage> SendWithKeyAsync(this HttpClient client, HttpMethod method, string path, string? key, string? body = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : Json(body) };
        if (key is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client.SendAsync(request);
    }

    /// <summary>Sends <paramref name="body"/> as it is, with <paramref name="contentType"/> (none when null) and the extra <paramref name="headers"/>.</summary>
    public static Task<HttpResponseMessage> SendRawAsync(this HttpClient client, HttpMethod method, string path, byte[]? body,
        string? contentType = "application/json", params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            if (contentType is not null)
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }
        foreach (var (name, value) in headers)
            request.Headers.TryAddWithoutValidation(name, value);
        return client.SendAsync(request);
    }

    /// <summary>The answer's JSON, after checking its status.</summary>
    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The <c>error</c> object of an error answer with status <paramref name="expected"/>.</summary>
    public static async Task<JsonElement> ErrorAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var json = await response.JsonAsync(expected);
        var error = json.GetProperty("error");
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        return error;
    }

    public static int[] Ids(this JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetInt32())];
}
