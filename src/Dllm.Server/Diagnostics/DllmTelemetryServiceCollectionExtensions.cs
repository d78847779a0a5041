using Dllm.Diagnostics;
using Dllm.Server.Diagnostics;
using Dllm.Server.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Exports the engine's and the server's metrics and traces with OpenTelemetry.</summary>
public static class DllmTelemetryServiceCollectionExtensions
{
    /// <summary>
    /// Adds OpenTelemetry metrics for the <c>Dllm.Engine</c> and <c>Dllm.Server</c> meters (and ASP.NET Core's
    /// <c>http.server.*</c>), exported as Prometheus text at <c>/metrics</c> (<see cref="DllmServerOptions.EnableMetrics"/>
    /// is set; <c>MapDllmEndpoints</c> maps the path) and, with <see cref="DllmTelemetryOptions.Otlp"/>, over OTLP with
    /// the engine's, the server's and ASP.NET Core's spans. More exporters or sources: call <c>services.AddOpenTelemetry()</c> again.
    /// </summary>
    public static IServiceCollection AddDllmTelemetry(this IServiceCollection services, Action<DllmTelemetryOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new DllmTelemetryOptions();
        configure?.Invoke(options);
        services.TryAddSingleton(options);
        if (options.Prometheus)
            services.Configure<DllmServerOptions>(server => server.EnableMetrics = true);
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("dllm"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(DllmEngineTelemetry.MeterName, DllmServerTelemetry.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel");
                if (options.Prometheus)
                    metrics.AddPrometheusExporter();
                if (options.Otlp)
                    metrics.AddOtlpExporter();
            });
        if (options.Otlp)
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource(DllmEngineTelemetry.ActivitySourceName, DllmServerTelemetry.ActivitySourceName, "Microsoft.AspNetCore")
                .AddOtlpExporter());
        }
        return services;
    }
}
