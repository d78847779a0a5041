using System.Net.Http.Json;
using System.Net;
using Dllm.Hosting;
using Dllm.Server.Hosting;
using Dllm.Server.Tests.Infrastructure;
using Dllm.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Dllm.Server.Tests.Hosting;

/// <summary>The health checks <c>AddDllmServer</c> registers, in a host app's own <c>MapHealthChecks</c>; probes logged at Debug.</summary>
[Collection(ServerCollection.Name)]
public class HealthCheckTests
{
    [Fact]
    public async Task A_host_apps_healthz_is_unhealthy_while_the_model_loads_and_healthy_after()
    {
        var options = TestEngines.Options(TinyModels.Random, maxRunningRequests: 2);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var logs = new CollectingLoggerProvider();
        await using var server = await DllmTestServer.StartAsync(options, waitUntilReady: false,
            services: s =>
            {
                s.AddLogging(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(logs));
                s.AddSingleton(new DllmEngineProvider(options, async ct =>
                {
                    await release.Task.WaitAsync(ct);
                    return await DllmEngine.CreateAsync(options, cancellationToken: ct);
                }));
            },
            map: app =>
            {
                app.MapHealthChecks("/healthz");
                app.MapHealthChecks("/readyz", new() { Predicate = check => check.Tags.Contains("ready") });
                app.MapDllmEndpoints();
            });

        var loading = await server.Client.GetAsync("/healthz");
        var loadingReady = await server.Client.GetAsync("/readyz");
        var probe = await server.Client.GetAsync("/health");
        var report = await server.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        release.SetResult();
        await server.WaitUntilReadyAsync();
        var ready = await server.Client.GetAsync("/healthz");
        var readyReady = await server.Client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, loading.StatusCode);
        Assert.Equal("Unhealthy", await loading.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, loadingReady.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, probe.StatusCode);
        Assert.Equal("the model is loading", report.Entries[DllmServerHealthCheck.Name].Description);
        Assert.Equal(HealthStatus.Unhealthy, report.Entries[DllmGenerationHealthCheck.Name].Status);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, readyReady.StatusCode);
        var probeLogs = logs.Entries.Where(e => e.Message.Contains("/health:", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(probeLogs);
        Assert.All(probeLogs, e => Assert.Equal(LogLevel.Debug, e.Level));
    }

    [Fact]
    public async Task After_the_engines_scheduler_fails_readiness_is_unhealthy_and_generate_is_a_503_that_names_no_exception()
    {
        var options = FailingScheduler.Options();
        await using var server = await DllmTestServer.StartAsync(options,
            services: s => s.AddSingleton(new DllmEngineProvider(options, FailingScheduler.Logs())),
            map: app =>
            {
                app.MapHealthChecks("/readyz", new() { Predicate = check => check.Tags.Contains("ready") });
                app.MapDllmEndpoints();
            });
        var before = await server.Client.GetAsync("/readyz");

        var outcomes = await FailingScheduler.BreakAsync(server.State.Engine!);
        var after = await server.Client.GetAsync("/readyz");
        var report = await server.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        var generate = await server.Client.PostAsJsonAsync("/generate", new { text = "Hello", sampling_params = new { max_new_tokens = 4 } });

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.All(outcomes, o => Assert.IsType<DllmGenerationException>(o));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, after.StatusCode);
        Assert.Equal(HealthStatus.Unhealthy, report.Entries[DllmServerHealthCheck.Name].Status);
        Assert.Equal(FailingScheduler.Message, report.Entries[DllmServerHealthCheck.Name].Description);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, generate.StatusCode);
        string body = await generate.Content.ReadAsStringAsync();
        Assert.Contains("the engine stopped serving after an internal failure (the server log has the details); retry on another instance or after a restart.", body, StringComparison.Ordinal);
        Assert.DoesNotContain("IOException", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_checks_are_registered_once_however_often_AddDllmServer_is_called()
    {
        var services = new ServiceCollection();
        services.AddDllmServer(_ => TestEngines.Options(TinyModels.Random));
        services.AddDllmServer();
        await using var provider = services.BuildServiceProvider();

        var names = provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<HealthCheckServiceOptions>>().Value.Registrations.Select(r => r.Name);

        Assert.Equal([DllmServerHealthCheck.Name, DllmGenerationHealthCheck.Name], names);
    }
}
