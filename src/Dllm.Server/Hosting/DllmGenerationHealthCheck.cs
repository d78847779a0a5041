using Dllm.Server.Endpoints.Health;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Dllm.Server.Hosting;

/// <summary>
/// SGLang's <c>/health_generate</c> as a health check (<c>dllm_generate</c>, tags <c>dllm</c> and <c>generate</c>,
/// registered by <c>AddDllmServer</c>): Healthy when a one-token generation succeeds (skipped while the engine is busy
/// or produced output recently), Unhealthy while loading or when the generation fails or times out.
/// </summary>
public sealed class DllmGenerationHealthCheck : IHealthCheck
{
    /// <summary>The name it is registered under.</summary>
    public const string Name = "dllm_generate";

    private readonly HealthProbe _probe;

    internal DllmGenerationHealthCheck(HealthProbe probe) => _probe = probe;

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await _probe.CheckAsync(cancellationToken).ConfigureAwait(false)
            ? HealthCheckResult.Healthy("the engine generates")
            : HealthCheckResult.Unhealthy("the engine is not ready or failed its health generation");
}
