using System.Security.Cryptography;
using System.Text;
using Dllm.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Dllm.Server.Endpoints.Pipeline;

/// <summary>
/// SGLang's <c>--api-key</c>, with several keys and an admin key: the request must carry
/// <c>Authorization: Bearer &lt;key&gt;</c> with one of them. The key given is compared with every configured key in
/// constant time (SHA-256 digests of equal length, no early exit), so neither a key nor which key matched leaks.
/// </summary>
internal static class ApiKeyCheck
{
    private const string Scheme = "Bearer ";

    /// <summary>Whether <paramref name="options"/> configure any key.</summary>
    public static bool HasKeys(DllmServerOptions options) => UserKeys(options).Any() || !string.IsNullOrEmpty(options.AdminApiKey);

    /// <summary>
    /// The owner of the request: <see cref="RequestOwner.Anonymous"/> when no key is configured, the matching key's
    /// owner when the request carries one, null when it carries none of them.
    /// </summary>
    public static RequestOwner? Authorize(HttpContext context, DllmServerOptions options)
    {
        var keys = UserKeys(options).ToList();
        if (keys.Count == 0 && string.IsNullOrEmpty(options.AdminApiKey))
            return RequestOwner.Anonymous;
        string header = context.Request.Headers[HeaderNames.Authorization].ToString();
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
            return null;
        byte[] given = Digest(header[Scheme.Length..].Trim());
        int matched = -1;
        for (int i = 0; i < keys.Count; i++)
            matched = CryptographicOperations.FixedTimeEquals(given, Digest(keys[i])) ? i : matched;
        bool admin = !string.IsNullOrEmpty(options.AdminApiKey) && CryptographicOperations.FixedTimeEquals(given, Digest(options.AdminApiKey));
        return admin ? new RequestOwner("admin", IsAdmin: true)
            : matched >= 0 ? new RequestOwner($"k{matched}", IsAdmin: false)
            : null;
    }

    /// <summary>The client keys: <see cref="DllmServerOptions.ApiKey"/> first, then <see cref="DllmServerOptions.ApiKeys"/>, each once.</summary>
    private static IEnumerable<string> UserKeys(DllmServerOptions options) =>
        new[] { options.ApiKey }.Concat(options.ApiKeys).OfType<string>().Where(k => k.Length > 0).Distinct(StringComparer.Ordinal);

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
