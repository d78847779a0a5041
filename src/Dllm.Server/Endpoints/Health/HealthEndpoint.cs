using Dllm.Server.Endpoints.Pipeline;
using Dllm.Server.Endpoints.Running;
using Microsoft.AspNetCore.Http;

namespace Dllm.Server.Endpoints.Health;

/// <summary>
/// <c>GET /health</c> and <c>GET /health_generate</c> (one handler, as in SGLang): 200 with an empty body when a
/// one-token generation succeeds, 503 with an error body while loading, shutting down or unhealthy. Never needs the
/// API key (SGLang leaves every <c>/health*</c> path open for probes).
/// </summary>
internal sealed class HealthEndpoint(HealthProbe probe, GenerationRunner runner) : IDllmEndpoint
{
    /// <inheritdoc />
    public IReadOnlyList<string> Methods { get; } = ["GET"];

    /// <inheritdoc />
    public IReadOnlyList<string> Patterns { get; } = ["/health", "/health_generate"];

    /// <inheritdoc />
    public bool RequiresApiKey => false;

    /// <inheritdoc />
    public async Task HandleAsync(HttpContext context)
    {
        runner.RequireReady();
        if (!await probe.CheckAsync(context.RequestAborted).ConfigureAwait(false))
            throw ApiException.Unavailable("the engine failed its health generation.");
        context.Response.StatusCode = StatusCodes.Status200OK;
    }
}
