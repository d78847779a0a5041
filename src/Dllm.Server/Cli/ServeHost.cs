using Dllm.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dllm.Server.Cli;

/// <summary>Runs <c>dllm serve</c>: checks the flags, builds a Kestrel app with the dllm endpoints, runs it until SIGTERM/Ctrl+C.</summary>
internal static class ServeHost
{
    /// <summary>Exit code 0 after a clean stop, 1 when the model failed to load or the address could not be bound, 2 for a bad command line.</summary>
    public static async Task<int> RunAsync(ServeSettings settings, CancellationToken cancellationToken)
    {
        using var bootstrapLogging = CliLogging.Create();
        var logger = bootstrapLogging.CreateLogger("dllm.serve");
        DllmEngineOptions engineOptions;
        bool demo;
        TimeSpan? requestTimeout;
        try
        {
            ListenEndpoint.Check(settings.Host, settings.Port);
            requestTimeout = ServeEngineOptions.RequestTimeout(settings);
            (engineOptions, demo) = ServeEngineOptions.Build(settings, logger);
        }
        catch (ServeSetupException e)
        {
            await Console.Error.WriteLineAsync($"dllm serve: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        CliLogging.Configure(builder.Logging).AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel => ListenEndpoint.Configure(kestrel, settings.Host, settings.Port));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.Services.AddDllmServer(_ => engineOptions, server =>
        {
            server.ApiKey = settings.ApiKey;
            server.RequestTimeout = requestTimeout;
            server.IsDemoModel = demo;
            server.ServerArguments["host"] = settings.Host;
            server.ServerArguments["port"] = settings.Port;
            server.ServerArguments["trust_remote_code"] = settings.TrustRemoteCode;
            server.ServerArguments["libtorch_dir"] = settings.LibTorchDirectory;
        });
        await using var app = builder.Build();
        app.MapDllmEndpoints();
        var state = app.Services.GetRequiredService<DllmServerState>();
        var serverLogger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("dllm.serve");
        app.Lifetime.ApplicationStarted.Register(() =>
            serverLogger.LogInformation("dllm serve listening on {Urls}{Demo}", string.Join(", ", app.Urls), demo ? " (DEMO model, random weights)" : ""));
        try
        {
            await app.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            serverLogger.LogCritical("Cannot listen on {Host}:{Port}: {Message}", settings.Host, settings.Port, e.Message);
            return 1;
        }
        return state.LoadError is null ? 0 : 1;
    }
}
