using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Dllm.Server.Endpoints.Pipeline;

/// <summary>
/// Refuses browser requests from other sites: a request with an <c>Origin</c> header is served only when that origin
/// is the server's own (scheme, host and port of the request) or one of <see cref="Hosting.DllmServerOptions.AllowedOrigins"/>
/// (<c>*</c>: any). Clients that are not browsers send no <c>Origin</c> and are not affected.
/// </summary>
internal static class OriginCheck
{
    /// <summary>True when the request has no <c>Origin</c>, or an allowed one.</summary>
    public static bool IsAllowed(HttpRequest request, IEnumerable<string> allowedOrigins)
    {
        string origin = request.Headers[HeaderNames.Origin].ToString();
        if (origin.Length == 0)
            return true;
        var given = Normalize(origin);
        return (given is not null && given == Normalize($"{request.Scheme}://{request.Host.Value}")) || IsListed(origin, allowedOrigins);
    }

    /// <summary>True when <paramref name="origin"/> is one of <paramref name="allowedOrigins"/> (compared normalized; <c>*</c> lists every origin).</summary>
    public static bool IsListed(string origin, IEnumerable<string> allowedOrigins)
    {
        var given = Normalize(origin);
        return allowedOrigins.Any(allowed => allowed == "*" || (given is not null && given == Normalize(allowed)));
    }

    /// <summary><c>scheme://host:port</c> in lower case with the port made explicit; null when it is no http(s) origin (<c>null</c>, garbage).</summary>
    public static string? Normalize(string origin) =>
        Uri.TryCreate(origin.Trim().TrimEnd('/'), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            && uri.AbsolutePath == "/" && uri.Query.Length == 0
            ? $"{uri.Scheme}://{uri.IdnHost.ToLowerInvariant()}:{uri.Port}"
            : null;
}
