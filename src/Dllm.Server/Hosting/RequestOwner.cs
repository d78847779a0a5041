using Microsoft.AspNetCore.Http;

namespace Dllm.Server.Hosting;

/// <summary>
/// Who made a request: the API key it was made with (by its position, never the key itself), the admin key, or
/// nobody in particular on a server without keys. Request ids are scoped by it: two keys may use the same rid, and
/// one key cannot reach another's requests.
/// </summary>
/// <param name="Tag">The key's tag (<c>k0</c>, <c>k1</c>, ..., <c>admin</c>); null on a server without keys (one rid namespace, as SGLang).</param>
/// <param name="IsAdmin">Whether it may abort any client's requests.</param>
internal sealed record RequestOwner(string? Tag, bool IsAdmin)
{
    /// <summary>Every client of a server without API keys: one namespace, every request reachable (SGLang's behaviour).</summary>
    public static RequestOwner Anonymous { get; } = new(null, IsAdmin: false);

    /// <summary>The server itself (shutdown): reaches every request.</summary>
    public static RequestOwner Server { get; } = new("server", IsAdmin: true);

    /// <summary>The owner of the request <see cref="Endpoints.Pipeline.EndpointPipeline"/> authorized; <see cref="Anonymous"/> when none was recorded.</summary>
    public static RequestOwner Of(HttpContext context) => context.Features.Get<RequestOwner>() ?? Anonymous;

    /// <summary>The engine's id for this owner's <paramref name="rid"/>: the rid itself without keys, else <c>tag:rid</c>.</summary>
    public string Scope(string rid) => Tag is null ? rid : $"{Tag}:{rid}";

    /// <summary>Whether this owner may abort <paramref name="other"/>'s requests.</summary>
    public bool Controls(RequestOwner other) => IsAdmin || other.Tag == Tag;
}
