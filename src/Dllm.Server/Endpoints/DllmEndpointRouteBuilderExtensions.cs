using Dllm.Server.Diagnostics;
using Dllm.Server.Endpoints;
using Dllm.Server.Endpoints.Pipeline;
using Dllm.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the SGLang-compatible routes into any ASP.NET Core app.</summary>
public static class DllmEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>/generate</c>, <c>/health</c>, <c>/health_generate</c>, <c>/get_model_info</c>, <c>/get_server_info</c>,
    /// <c>/v1/models</c>, <c>/v1/chat/completions</c>, <c>/v1/completions</c>, <c>/abort_request</c>, the playground page
    /// (<c>/</c> and its files under <c>/playground/</c>) and, with
    /// <see cref="DllmServerOptions.EnableMetrics"/>, the Prometheus text at <c>/metrics</c> (under
    /// <paramref name="prefix"/>, default none, as SGLang clients expect). Needs <c>services.AddDllmServer(...)</c>.
    /// Another method on one of these paths gets a JSON 405 with <c>Allow</c>; unknown paths are the app's to answer.
    /// </summary>
    /// <returns>The route group, for further conventions (authorization, CORS, rate limiting, ...).</returns>
    public static RouteGroupBuilder MapDllmEndpoints(this IEndpointRouteBuilder endpoints, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var services = endpoints.ServiceProvider;
        if (services.GetService<DllmServerState>() is null)
            throw new InvalidOperationException("MapDllmEndpoints needs services.AddDllmServer(...) first.");
        var pipeline = ActivatorUtilities.CreateInstance<EndpointPipeline>(services);
        var group = endpoints.MapGroup(prefix);
        foreach (var type in DllmEndpoints.Types)
        {
            var endpoint = DllmEndpoints.Create(services, type);
            foreach (string pattern in endpoint.Patterns)
            {
                group.MapMethods(pattern, endpoint.Methods, context => pipeline.InvokeAsync(endpoint, context))
                     .WithDisplayName($"dllm {string.Join("|", endpoint.Methods)} {pattern}");
                var allowed = endpoint.Methods;
                group.Map(pattern, context => RouteMissResponses.MethodNotAllowedAsync(context, allowed))
                     .WithOrder(1)
                     .WithDisplayName($"dllm 405 {pattern}");
            }
        }
        if (services.GetRequiredService<IOptions<DllmServerOptions>>().Value.EnableMetrics)
        {
            if (services.GetService<DllmTelemetryOptions>() is not { Prometheus: true })
                throw new InvalidOperationException("DllmServerOptions.EnableMetrics needs services.AddDllmTelemetry() (which registers the Prometheus exporter).");
            group.MapPrometheusScrapingEndpoint(DllmServerTelemetry.MetricsPath).WithDisplayName("dllm GET " + DllmServerTelemetry.MetricsPath);
        }
        return group;
    }
}
