using Dllm.Native;
using Dllm.Server.Endpoints.Pipeline;
using Dllm.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dllm.Cli;

/// <summary>Runs <c>dllm serve</c>: checks the flags, builds a Kestrel app with the dllm endpoints, runs it until SIGTERM/Ctrl+C.</summary>
internal static class ServeHost
{
    /// <summary>
    /// Exit code 0 after a clean stop, 1 when the address cannot be bound (found before the model loads) or the model
    /// failed to load, 2 for a bad command line; each failure is one line on standard error, never a stack trace.
    /// </summary>
    /// <param name="settings">The flags.</param>
    /// <param name="flagOf">The flag of an engine option's property, for messages.</param>
    /// <param name="cancellationToken">Stops the server.</param>
    public static async Task<int> RunAsync(ServeSettings settings, Func<string, string> flagOf, CancellationToken cancellationToken)
    {
        using var bootstrapLogging = CliLogging.Create(settings.LogLevel);
        var logger = bootstrapLogging.CreateLogger("dllm.serve");
        DllmEngineOptions engineOptions;
        bool demo;
        TimeSpan? requestTimeout;
        try
        {
            if (DllmEngineOptionsValidator.Validate(settings.Engine, flagOf, checkModelPath: !settings.IsDemo) is { Count: > 0 } errors)
                throw new ServeSetupException(string.Join(" ", errors));
            ListenEndpoint.Check(settings.Host, settings.Port);
            ServeServerOptions.Check(settings);
            requestTimeout = ServeServerOptions.RequestTimeout(settings);
            if (ListenEndpoint.FindConflict(settings.Host, settings.Port) is string conflict)
                return await FailAsync($"cannot listen on {settings.Host}:{settings.Port}: {conflict}", 1).ConfigureAwait(false);
            demo = settings.IsDemo;
            engineOptions = demo
                ? await DemoOptionsAsync(settings.Engine, logger, cancellationToken).ConfigureAwait(false)
                : settings.Engine with { ModelPath = Path.GetFullPath(settings.Engine.ModelPath) };
        }
        catch (ServeSetupException e)
        {
            return await FailAsync(e.Message, 2).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TorchBackendException or PlatformNotSupportedException)
        {
            // Only the demo model loads the backend this early (to write itself): a missing runtime is one line.
            return await FailAsync(e.Message, 1).ConfigureAwait(false);
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // The host's own "failed to start" error repeats, with its stack, the bind failure answered below in one line.
        // On a terminal the load is a progress bar; redirected, the engine's log lines give it every 10 %.
        bool progressBar = LoadProgressBar.IsTerminal;
        if (progressBar)
            builder.Services.AddSingleton<IProgress<Checkpoints.CheckpointLoadProgress>>(new LoadProgressBar(Console.Error));
        CliLogging.Configure(builder.Logging, settings.LogLevel, progressBar).AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.WebHost.ConfigureKestrel(kestrel => ListenEndpoint.Configure(kestrel, settings.Host, settings.Port));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        if (settings.EnableMetrics || Server.Diagnostics.DllmTelemetryOptions.IsOtlpConfigured)
            builder.Services.AddDllmTelemetry(telemetry => telemetry.Prometheus = settings.EnableMetrics);
        builder.Services.AddDllmServer(_ => engineOptions, server =>
        {
            ServeServerOptions.Apply(settings, server);
            server.RequestTimeout = requestTimeout;
            server.IsDemoModel = demo;
            server.ServerArguments["host"] = settings.Host;
            server.ServerArguments["port"] = settings.Port;
            server.ServerArguments["trust_remote_code"] = settings.TrustRemoteCode;
            server.ServerArguments["libtorch_dir"] = engineOptions.LibTorchDirectory;
        });
        await using var app = builder.Build();
        try
        {
            MapRoutes(app, cors: settings.AllowedOrigins.Count > 0);
        }
        catch (OptionsValidationException e)
        {
            return await FailAsync(ConfigurationProblem(e), 2).ConfigureAwait(false);
        }
        var state = app.Services.GetRequiredService<DllmServerState>();
        var serverLogger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("dllm.serve");
        app.Lifetime.ApplicationStarted.Register(() =>
            serverLogger.ServeListening(string.Join(", ", app.Urls), demo ? " (the built-in demo model, not LLaDA2.0-mini)" : ""));
        try
        {
            await app.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OptionsValidationException e)
        {
            // A Dllm:Server value from appsettings.json or the environment that cannot work (the flags were checked above).
            return await FailAsync(ConfigurationProblem(e), 2).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            // Taken between the check above and the bind: the model has not started loading (it starts once Kestrel listens).
            serverLogger.BindFailure(e);
            return await FailAsync($"cannot listen on {settings.Host}:{settings.Port}: {e.Message}", 1).ConfigureAwait(false);
        }
        return state.LoadError is null ? 0 : 1;
    }

    /// <summary>
    /// The app's pipeline: CORS for the allowed origins when <paramref name="cors"/> (preflights included), the dllm
    /// routes, and a JSON 404 for every other path (405s come with the dllm routes).
    /// </summary>
    internal static void MapRoutes(WebApplication app, bool cors)
    {
        if (cors)
            app.UseCors(DllmServerOptions.CorsPolicyName);
        app.MapDllmEndpoints();
        app.MapFallback("{*path}", RouteMissResponses.NotFoundAsync);
    }

    /// <summary>The options over the built-in demo model, written into the cache on first use.</summary>
    private static async Task<DllmEngineOptions> DemoOptionsAsync(DllmEngineOptions engine, ILogger logger, CancellationToken cancellationToken)
    {
        string path = await DemoModel.EnsureAsync(logger, cancellationToken).ConfigureAwait(false);
        logger.ServingDemoModel(path);
        return engine with { ModelPath = path, ServedModelName = engine.ServedModelName ?? DemoModel.ServedModelName };
    }

    private static string ConfigurationProblem(OptionsValidationException e) => $"configuration: {string.Join(" ", e.Failures)}";

    private static async Task<int> FailAsync(string message, int exitCode)
    {
        await Console.Error.WriteLineAsync($"dllm serve: {message}").ConfigureAwait(false);
        return exitCode;
    }
}
