using Dllm.AI.Hosting;
using Dllm.Hosting;
using Dllm.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Dllm.AI.Tests.Hosting;

/// <summary>The engine health check <c>AddDllmChatClient</c> registers: loading, ready, failed.</summary>
public sealed class EngineHealthCheckTests
{
    private static void TinyCpuEngine(DllmChatClientSettings settings)
    {
        settings.Device = "cpu";
        settings.DType = "float32";
        settings.MaxRunningRequests = 2;
        settings.ContextLength = 512;
    }

    [Fact]
    public async Task The_first_check_starts_the_load_and_is_unhealthy_until_the_model_is_loaded()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddDllmChatClient(s => { TinyCpuEngine(s); s.ModelPath = TinyModels.Random; });
        services.AddKeyedDllmChatClient("second", s => { TinyCpuEngine(s); s.ModelPath = TinyModels.Random; });
        await using var provider = services.BuildServiceProvider();
        var health = provider.GetRequiredService<HealthCheckService>();

        var loading = await health.CheckHealthAsync();
        var deadline = DateTime.UtcNow.AddMinutes(1);
        HealthReport report;
        while ((report = await health.CheckHealthAsync()).Status != HealthStatus.Healthy && DateTime.UtcNow < deadline)
            await Task.Delay(20);

        var entry = Assert.Single(loading.Entries);
        Assert.Equal(DllmEngineHealthCheck.Name, entry.Key);
        Assert.Equal(HealthStatus.Unhealthy, entry.Value.Status);
        Assert.Equal("the model is loading", entry.Value.Description);
        Assert.Equal(HealthStatus.Healthy, report.Status);
        Assert.Equal(0, report.Entries[DllmEngineHealthCheck.Name].Data["running_requests"]);
    }

    [Fact]
    public async Task An_engine_whose_scheduler_failed_is_unhealthy_with_the_reason()
    {
        await using var engines = new DllmEngineProvider(FailingScheduler.Options(), FailingScheduler.Logs());
        var check = new DllmEngineHealthCheck(engines);
        var engine = await engines.GetEngineAsync();
        var healthy = await check.CheckHealthAsync(new HealthCheckContext());

        await FailingScheduler.BreakAsync(engine);
        var failed = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Healthy, healthy.Status);
        Assert.Equal(HealthStatus.Unhealthy, failed.Status);
        Assert.Equal(FailingScheduler.Message, failed.Description);
        Assert.IsType<IOException>(failed.Exception);
    }

    [Fact]
    public async Task A_failed_load_is_unhealthy_with_the_reason()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"dllm-no-model-{Guid.NewGuid():N}");
        await using var engines = new DllmEngineProvider(TestEngines.Options(missing));
        var check = new DllmEngineHealthCheck(engines);

        var first = await check.CheckHealthAsync(new HealthCheckContext());
        HealthCheckResult result;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((result = await check.CheckHealthAsync(new HealthCheckContext())).Description == "the model is loading" && DateTime.UtcNow < deadline)
            await Task.Delay(20);

        Assert.Equal(HealthStatus.Unhealthy, first.Status);
        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal($"the model failed to load: ModelPath '{missing}' is not a local directory. Pass a directory with config.json, *.safetensors and tokenizer.json.", result.Description);
    }
}
