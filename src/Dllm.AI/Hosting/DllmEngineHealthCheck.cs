using Dllm.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Dllm.AI.Hosting;

/// <summary>
/// The chat client's engine as a health check (<c>dllm_engine</c>, registered by <c>AddDllmChatClient</c>): Unhealthy
/// while the model loads (the first check starts the load, which otherwise waits for the first chat) or after it
/// failed, Healthy once loaded, with the engine's running and waiting requests as data, and Unhealthy again should its
/// scheduler fail (<see cref="DllmEngine.Failure"/>).
/// </summary>
public sealed class DllmEngineHealthCheck(DllmEngineProvider provider) : IHealthCheck
{
    /// <summary>The name it is registered under.</summary>
    public const string Name = "dllm_engine";

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        provider.StartLoading();
        if (provider.Engine is { Failure: { } failure })
            return Task.FromResult(HealthCheckResult.Unhealthy(failure.Message, failure.InnerException));
        if (provider.Engine is { } engine)
        {
            return Task.FromResult(HealthCheckResult.Healthy($"model {engine.ModelName} loaded", new Dictionary<string, object>
            {
                ["running_requests"] = engine.RunningRequests,
                ["waiting_requests"] = engine.WaitingRequests,
            }));
        }
        return Task.FromResult(provider.LoadError is { } error
            ? HealthCheckResult.Unhealthy($"the model failed to load: {error.Message}")
            : HealthCheckResult.Unhealthy("the model is loading"));
    }
}
