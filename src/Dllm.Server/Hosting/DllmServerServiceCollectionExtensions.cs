using Dllm;
using Dllm.Server.Diagnostics;
using Dllm.Server.Endpoints.Health;
using Dllm.Server.Endpoints.Pipeline;
using Dllm.Server.Endpoints.Running;
using Dllm.Server.Hosting;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the SGLang-compatible server in any ASP.NET Core app.</summary>
public static class DllmServerServiceCollectionExtensions
{
    /// <summary>
    /// Registers the engine (<see cref="DllmEngineServiceCollectionExtensions.AddDllmEngine"/>: the first registration
    /// wins, so a chat client registered in the same app shares it), the hosted service that loads it at start and
    /// drains and disposes it at shutdown, and what <c>app.MapDllmEndpoints()</c> needs.
    /// </summary>
    public static IServiceCollection AddDllmServer(this IServiceCollection services, Func<IServiceProvider, DllmEngineOptions> engineOptions, Action<DllmServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(engineOptions);
        services.AddDllmEngine(engineOptions);
        return services.AddDllmServer(configure);
    }

    /// <summary>
    /// Registers the server over an engine registered with <c>services.AddDllmEngine(...)</c> (by the app or the chat
    /// client): the hosted service that loads it at start and drains and disposes it at shutdown, and what
    /// <c>app.MapDllmEndpoints()</c> needs, the health checks <see cref="DllmServerHealthCheck"/> and
    /// <see cref="DllmGenerationHealthCheck"/> (for <c>app.MapHealthChecks(...)</c>), including the CORS policy <see cref="DllmServerOptions.CorsPolicyName"/> for
    /// <see cref="DllmServerOptions.AllowedOrigins"/> (the app applies it with <c>app.UseCors(DllmServerOptions.CorsPolicyName)</c>).
    /// The options are bound from the configuration section <see cref="DllmServerOptions.ConfigurationSection"/> first, then
    /// <paramref name="configure"/> runs; they are validated when the host starts (an <see cref="OptionsValidationException"/>
    /// naming each key that cannot work).
    /// </summary>
    public static IServiceCollection AddDllmServer(this IServiceCollection services, Action<DllmServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        // Configuration first (once), then the delegate: code and command-line flags win over appsettings.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<DllmServerOptions>, DllmServerConfigurationBinder>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DllmServerOptions>, DllmServerOptionsValidator>());
        var options = services.AddOptions<DllmServerOptions>().ValidateOnStart();
        if (configure is not null)
            options.Configure(configure);
        services.TryAddSingleton<DllmServerState>();
        services.TryAddSingleton<RequestTracker>();
        services.TryAddSingleton<RequestBodyReader>();
        services.TryAddSingleton<GenerationRunner>();
        services.TryAddSingleton<HealthProbe>();
        services.AddMetrics();
        services.TryAddSingleton<ServerMetrics>();
        AddHealthChecks(services);
        services.AddHostedService<DllmServerHostedService>();
        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IOptions<DllmServerOptions>>((cors, server) => DllmCorsPolicy.AddTo(cors, server.Value));
        services.AddOptions<HostOptions>().PostConfigure<IOptions<DllmServerOptions>>(EnsureShutdownTimeout);
        return services;
    }

    /// <summary>The server's health checks (once): <see cref="DllmServerHealthCheck"/> and <see cref="DllmGenerationHealthCheck"/>, for <c>app.MapHealthChecks(...)</c>.</summary>
    private static void AddHealthChecks(IServiceCollection services)
    {
        services.AddHealthChecks();
        services.Configure<HealthCheckServiceOptions>(options =>
        {
            if (options.Registrations.Any(r => r.Name == DllmServerHealthCheck.Name))
                return;
            options.Registrations.Add(new HealthCheckRegistration(DllmServerHealthCheck.Name,
                sp => new DllmServerHealthCheck(sp.GetRequiredService<DllmServerState>()), failureStatus: null, tags: ["dllm", "ready"]));
            options.Registrations.Add(new HealthCheckRegistration(DllmGenerationHealthCheck.Name,
                sp => new DllmGenerationHealthCheck(sp.GetRequiredService<HealthProbe>()), failureStatus: null, tags: ["dllm", "generate"]));
        });
    }

    /// <summary>
    /// Lengthens the host's <see cref="HostOptions.ShutdownTimeout"/> when it is shorter than the drain needs
    /// (<see cref="DllmServerOptions.DrainTimeout"/>, the aborted requests' grace, and time to release the engine),
    /// so the documented drain is not cut short by the host.
    /// </summary>
    private static void EnsureShutdownTimeout(HostOptions host, IOptions<DllmServerOptions> server)
    {
        TimeSpan drain;
        try
        {
            drain = server.Value.DrainTimeout;
        }
        catch (OptionsValidationException)
        {
            return; // reported where the app reads the server options (at start: ValidateOnStart)
        }
        var needed = drain + DllmServerHostedService.AbortGrace + TimeSpan.FromSeconds(5);
        if (host.ShutdownTimeout != Timeout.InfiniteTimeSpan && host.ShutdownTimeout < needed)
            host.ShutdownTimeout = needed;
    }
}
