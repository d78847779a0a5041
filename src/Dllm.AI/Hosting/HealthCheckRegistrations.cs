using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Dllm.AI.Hosting;

/// <summary>Adds the engine's health check once, however many chat clients are registered.</summary>
internal static class HealthCheckRegistrations
{
    public static void AddEngineCheck(IServiceCollection services)
    {
        services.AddHealthChecks();
        services.Configure<HealthCheckServiceOptions>(options =>
        {
            if (!options.Registrations.Any(r => r.Name == DllmEngineHealthCheck.Name))
            {
                options.Registrations.Add(new HealthCheckRegistration(DllmEngineHealthCheck.Name,
                    sp => ActivatorUtilities.CreateInstance<DllmEngineHealthCheck>(sp), failureStatus: null, tags: ["dllm", "ready"]));
            }
        });
    }
}
