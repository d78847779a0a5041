using Dllm.Server.Endpoints.Pipeline;
using Microsoft.AspNetCore.Http;

namespace Dllm.Server.Endpoints.Playground;

/// <summary>
/// <c>GET /</c> (the playground page) and <c>GET /playground/{file}</c> (its script and style sheet): static files
/// embedded in this assembly. They are served without an API key (the page asks for one and sends it with its own
/// API calls); an unknown file is the JSON 404 of the other routes.
/// </summary>
internal sealed class PlaygroundEndpoint : IDllmEndpoint
{
    /// <inheritdoc />
    public IReadOnlyList<string> Methods { get; } = ["GET", "HEAD"];

    /// <inheritdoc />
    public IReadOnlyList<string> Patterns { get; } = ["/", "/playground/{file}"];

    /// <inheritdoc />
    public bool RequiresApiKey => false;

    /// <inheritdoc />
    public async Task HandleAsync(HttpContext context)
    {
        string name = context.Request.RouteValues["file"] as string ?? "index.html";
        if (PlaygroundAssets.Find(name) is not { } asset)
            throw ApiException.NotFound($"no playground file '{name}'.");
        context.Response.ContentType = asset.ContentType;
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.ContentLength = asset.Content.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
            await context.Response.Body.WriteAsync(asset.Content, context.RequestAborted).ConfigureAwait(false);
    }
}
