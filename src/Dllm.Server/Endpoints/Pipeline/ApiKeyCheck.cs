using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Dllm.Server.Endpoints.Pipeline;

/// <summary>SGLang's <c>--api-key</c>: the request must carry <c>Authorization: Bearer &lt;key&gt;</c>.</summary>
internal static class ApiKeyCheck
{
    private const string Scheme = "Bearer ";

    /// <summary>True when no key is configured or the request carries it (compared in constant time).</summary>
    public static bool IsAuthorized(HttpContext context, string? apiKey)
    {
        if (string.IsNullOrEmpty(apiKey))
            return true;
        string header = context.Request.Headers[HeaderNames.Authorization].ToString();
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
            return false;
        byte[] given = Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim());
        byte[] expected = Encoding.UTF8.GetBytes(apiKey);
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }
}
