using Dllm.Server.Endpoints.Pipeline;
using Dllm.Server.Endpoints.Running;
using Dllm.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Dllm.Server.Endpoints.Health;

/// <summary>
/// <c>GET /health</c> and <c>GET /health_generate</c> (one handler, as in SGLang): 200 with an empty body when a
/// one-token generation succeeds, 503 with an error body while loading, shutting down or unhealthy; <c>HEAD</c>
/// answers the same status without a body. With <c>--api-key</c>, <c>/health</c> stays open for probes and
/// <c>/health_generate</c> (which generates) needs a key.
/// </summary>
internal sealed class HealthEndpoint(HealthProbe probe, GenerationRunner runner, IOptions<DllmServerOptions> options) : IDllmEndpoint
{
    /// <inheritdoc />
    public IReadOnlyList<string> Methods { get; } = ["GET", "HEAD"];

    /// <inheritdoc />
    public IReadOnlyList<string> Patterns { get; } = ["/health", "/health_generate"];

    /// <inheritdoc />
    public bool RequiresApiKey => false;

    /// <inheritdoc />
    public bool IsProbe => true;

    /// <inheritdoc />
    public async Task HandleAsync(HttpContext context)
    {
        if (context.Request.Path.StartsWithSegments("/health_generate", StringComparison.Ordinal) && ApiKeyCheck.Authorize(context, options.Value) is null)
            throw ApiException.Unauthorized();
        runner.RequireReady();
        if (!await probe.CheckAsync(context.RequestAborted).ConfigureAwait(false))
            throw ApiException.Unavailable("the engine failed its health generation.");
        context.Response.StatusCode = StatusCodes.Status200OK;
    }
}
