using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Dllm.Server.Endpoints.Pipeline;

/// <summary>
/// Request bodies must be declared JSON: <c>application/json</c> or <c>application/*+json</c>, with no charset or
/// <c>utf-8</c>. Anything else (notably the types a web page may send across sites without asking: <c>text/plain</c>,
/// forms) is a 415, so a foreign page cannot post to the server.
/// </summary>
internal static class JsonContentType
{
    /// <summary>Throws the 415 unless the request's <c>Content-Type</c> is JSON.</summary>
    public static void Require(HttpRequest request)
    {
        string? given = request.ContentType;
        if (given is not null && MediaTypeHeaderValue.TryParse(given, out var type) && IsJson(type))
            return;
        throw new ApiException(StatusCodes.Status415UnsupportedMediaType,
            $"Content-Type must be application/json, got {(string.IsNullOrEmpty(given) ? "none" : $"'{Truncate(given)}'")}.",
            ApiException.InvalidRequest, "Content-Type", "unsupported_media_type");
    }

    private static bool IsJson(MediaTypeHeaderValue type)
    {
        string media = type.MediaType.Value ?? "";
        bool json = media.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (media.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && media.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
        string charset = type.Charset.Value ?? "";
        return json && (charset.Length == 0 || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase));
    }

    private static string Truncate(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
