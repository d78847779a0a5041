using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Dllm.Server.Hosting;

/// <summary>
/// The server's readiness as a health check (<c>dllm_server</c>, tags <c>dllm</c> and <c>ready</c>, registered by
/// <c>AddDllmServer</c>): Unhealthy while the model loads, after it failed, while the server stops, and when the
/// engine's scheduler failed (<see cref="DllmEngine.Failure"/>); Healthy when ready, with the running requests as data. Cheap: it reads the state and generates nothing.
/// </summary>
public sealed class DllmServerHealthCheck(DllmServerState state) : IHealthCheck
{
    /// <summary>The name it is registered under.</summary>
    public const string Name = "dllm_server";

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var result = state.Status switch
        {
            DllmServerStatus.Ready when state.Engine is { Failure: { } failure } => HealthCheckResult.Unhealthy(failure.Message, failure.InnerException),
            DllmServerStatus.Ready when state.Engine is { } engine => HealthCheckResult.Healthy($"model {engine.ModelName} loaded", new Dictionary<string, object>
            {
                ["running_requests"] = engine.RunningRequests,
                ["waiting_requests"] = engine.WaitingRequests,
            }),
            DllmServerStatus.Loading => HealthCheckResult.Unhealthy("the model is loading"),
            DllmServerStatus.Failed => HealthCheckResult.Unhealthy($"the model failed to load: {state.LoadError?.Message}"),
            _ => HealthCheckResult.Unhealthy("the server is shutting down"),
        };
        return Task.FromResult(result);
    }
}
