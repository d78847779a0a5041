using System.Diagnostics;
using Dllm.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dllm.Server.Hosting;

/// <summary>
/// Owns the engine's life in a host: starts loading the model when the host starts (without blocking it, so
/// <c>/health</c> answers 503 meanwhile), marks the server ready or failed (and then stops the app unless told
/// otherwise); at shutdown refuses new requests, lets running ones finish for <see cref="DllmServerOptions.DrainTimeout"/>,
/// aborts the rest, and disposes the engine.
/// </summary>
internal sealed class DllmServerHostedService(
    DllmEngineProvider provider,
    DllmServerState state,
    RequestTracker tracker,
    IOptions<DllmServerOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<DllmServerHostedService> logger) : IHostedService
{
    private readonly Lock _gate = new();
    private Task _loading = Task.CompletedTask;
    private Task? _draining;
    private CancellationTokenRegistration _onStopping;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var engineOptions = provider.Options;
        logger.LogInformation("Loading model {Path} ({Algorithm}, device {Device}, dtype {DType}, load format {Format}, max running requests {Slots})",
            Path.GetFullPath(engineOptions.ModelPath), engineOptions.Algorithm, engineOptions.Device, engineOptions.DType,
            engineOptions.LoadFormat, engineOptions.MaxRunningRequests);
        _loading = Task.Run(LoadAsync, CancellationToken.None);
        // The web server waits for running requests before hosted services stop: drain from the first signal.
        _onStopping = lifetime.ApplicationStopping.Register(() => DrainOnceAsync());
        return Task.CompletedTask;
    }

    private async Task LoadAsync()
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var engine = await provider.GetEngineAsync().ConfigureAwait(false);
            var generator = options.Value.Generator?.Invoke(engine) ?? engine;
            state.SetReady(engine, generator);
            logger.LogInformation("Model {Model} loaded in {Seconds:F1} s: {Algorithm}, block {Block}, context {Context}, {Slots} running requests at most, on {Device} ({DType})",
                engine.ModelName, clock.Elapsed.TotalSeconds, engine.AlgorithmName, engine.BlockSize, engine.ContextLength,
                engine.MaxRunningRequests, engine.Device, engine.DType);
        }
        catch (Exception e)
        {
            state.SetFailed(e);
            logger.LogCritical("The model failed to load: {Message}", e.Message);
            logger.LogDebug(e, "Load failure");
            if (options.Value.StopApplicationOnLoadFailure)
                lifetime.StopApplication();
        }
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _onStopping.DisposeAsync().ConfigureAwait(false);
        try
        {
            await DrainOnceAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            await _loading.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            logger.LogWarning("The shutdown time ran out before the engine could be released");
            return;
        }
        await provider.DisposeAsync().ConfigureAwait(false);
        state.SetStopped();
        logger.LogInformation("Server stopped");
    }

    /// <summary>Refuses new requests, lets running ones finish for the drain time, aborts the rest; once.</summary>
    private Task DrainOnceAsync()
    {
        lock (_gate)
            return _draining ??= DrainAsync();
    }

    private async Task DrainAsync()
    {
        state.SetStopping();
        if (tracker.Count == 0)
            return;
        logger.LogInformation("Draining {Count} running requests (at most {Seconds:F1} s)", tracker.Count, options.Value.DrainTimeout.TotalSeconds);
        using var drain = new CancellationTokenSource(options.Value.DrainTimeout);
        try
        {
            await tracker.WhenIdleAsync(drain.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            logger.LogWarning("Aborting {Count} requests still running at shutdown", tracker.AbortAll(RequestOwner.Server, "the server is shutting down"));
            await WaitQuietlyAsync(tracker.WhenIdleAsync(CancellationToken.None), TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
    }

    private static async Task WaitQuietlyAsync(Task task, TimeSpan timeout)
    {
        try
        {
            await task.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The engine disposal below ends whatever is left.
        }
    }
}
