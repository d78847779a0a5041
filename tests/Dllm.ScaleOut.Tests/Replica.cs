using System.Net;
using Dllm.Server.Hosting;
using Dllm.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dllm.ScaleOut.Tests;

/// <summary>One dllm replica: Kestrel on 127.0.0.1 (any free port) serving the random tiny model under its own name.</summary>
internal sealed class Replica : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private Replica(string name, WebApplication app)
    {
        Name = name;
        _app = app;
        Address = new Uri(app.Urls.Single());
    }

    /// <summary>The served model name: every completion says which replica made it.</summary>
    public string Name { get; }

    public Uri Address { get; }

    public static async Task<Replica> StartAsync(string name)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Services.AddDllmServer(_ => TestEngines.Options(TinyModels.Random, maxRunningRequests: 4) with { ServedModelName = name, ContextLength = 512 },
            server => server.DrainTimeout = TimeSpan.FromSeconds(2));
        var app = builder.Build();
        app.MapDllmEndpoints();
        await app.StartAsync();
        var state = app.Services.GetRequiredService<DllmServerState>();
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (state.Status != DllmServerStatus.Ready)
        {
            if (state.Status == DllmServerStatus.Failed || DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"replica {name} did not load: {state.Status}", state.LoadError);
            await Task.Delay(20);
        }
        return new Replica(name, app);
    }

    /// <summary>Stops it as a service manager would (drain, then the listener closes).</summary>
    public async Task StopAsync()
    {
        if (_stopped)
            return;
        _stopped = true;
        await _app.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }
}
