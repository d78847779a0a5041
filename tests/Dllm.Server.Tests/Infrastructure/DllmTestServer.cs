using System.Net;
using Dllm.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dllm.Server.Tests.Infrastructure;

/// <summary>
/// A real server: Kestrel on 127.0.0.1 with an ephemeral port, an ASP.NET Core app that maps its own <c>/hello</c>
/// next to the dllm endpoints, and an engine over a tiny synthetic model.
/// </summary>
internal sealed class DllmTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DllmTestServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };
    }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public DllmServerState State => _app.Services.GetRequiredService<DllmServerState>();

    public DllmEngine Engine => State.Engine ?? throw new InvalidOperationException("the engine has not loaded");

    internal RequestTracker Tracker => _app.Services.GetRequiredService<RequestTracker>();

    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Starts a server; with <paramref name="waitUntilReady"/> waits for the model to load. <paramref name="map"/>
    /// replaces the host app's routes (<c>/hello</c> and the dllm endpoints), e.g. with <c>dllm serve</c>'s.
    /// </summary>
    public static async Task<DllmTestServer> StartAsync(DllmEngineOptions engine, Action<DllmServerOptions>? configure = null,
        bool waitUntilReady = true, Action<IServiceCollection>? services = null, Action<WebApplication>? map = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        services?.Invoke(builder.Services);
        builder.Services.AddDllmServer(_ => engine, configure);
        var app = builder.Build();
        if (map is not null)
        {
            map(app);
        }
        else
        {
            app.MapGet("/hello", () => "hello from the host app");
            app.MapDllmEndpoints();
        }
        await app.StartAsync();
        var server = new DllmTestServer(app, new Uri(app.Urls.Single()));
        if (waitUntilReady)
            await server.WaitUntilReadyAsync();
        return server;
    }

    public async Task WaitUntilReadyAsync()
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (State.Status != DllmServerStatus.Ready)
        {
            if (State.Status == DllmServerStatus.Failed)
                throw new InvalidOperationException("the test model failed to load", State.LoadError);
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("the test model did not load in a minute");
            await Task.Delay(20);
        }
    }

    /// <summary>Waits until no request runs in the engine or is registered with the server.</summary>
    public async Task WaitUntilIdleAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (Engine.RunningRequests + Engine.WaitingRequests + Tracker.Count > 0)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"still busy: {Engine.RunningRequests} running, {Engine.WaitingRequests} waiting, {Tracker.Count} tracked");
            await Task.Delay(20);
        }
    }

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
