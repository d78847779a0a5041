using System.Diagnostics;
using Dllm.Hosting;
using Dllm.Server.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dllm.Server.Hosting;

/// <summary>
/// Owns the engine's life in a host: starts loading the model once the host has started (so the web server is
/// already listening, a port conflict is found before any load, and <c>/health</c> answers 503 meanwhile), marks
/// the server ready or failed (and then stops the app unless told otherwise). At shutdown, before the web server
/// stops accepting connections, it drains: new requests get 503 while running ones finish for
/// <see cref="DllmServerOptions.DrainTimeout"/>, the rest are aborted; then the engine is disposed.
/// </summary>
internal sealed class DllmServerHostedService(
    DllmEngineProvider provider,
    DllmServerState state,
    RequestTracker tracker,
    ServerMetrics metrics,
    IOptions<DllmServerOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<DllmServerHostedService> logger) : IHostedLifecycleService
{
    /// <summary>How long requests aborted at the end of the drain may take to leave the engine.</summary>
    internal static readonly TimeSpan AbortGrace = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private Task _loading = Task.CompletedTask;
    private Task? _draining;
    private CancellationTokenRegistration _onStarted;
    private CancellationTokenRegistration _onStopping;

    /// <inheritdoc />
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _onStarted = lifetime.ApplicationStarted.Register(StartLoading);
        // A stop requested through the lifetime (SIGTERM) refuses new requests from the first moment.
        // A load still running is cancelled at once (it stops at the next tensor), so a stop during a long load is quick.
        _onStopping = lifetime.ApplicationStopping.Register(() =>
        {
            provider.CancelLoading();
            _ = DrainOnceAsync();
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void StartLoading()
    {
        lock (_gate)
        {
            if (_draining is not null)
                return;
            var engineOptions = provider.Options;
            logger.ModelLoading(Path.GetFullPath(engineOptions.ModelPath), engineOptions.Algorithm, engineOptions.Device, engineOptions.DType,
                engineOptions.LoadFormat, engineOptions.MaxRunningRequests);
            _loading = Task.Run(LoadAsync, CancellationToken.None);
        }
    }

    private async Task LoadAsync()
    {
        var clock = Stopwatch.StartNew();
        using var activity = ServerMetrics.Source.StartActivity("load_model");
        activity?.SetTag("dllm.model_path", Path.GetFullPath(provider.Options.ModelPath));
        try
        {
            var engine = await provider.GetEngineAsync().ConfigureAwait(false);
            var generator = options.Value.Generator?.Invoke(engine) ?? engine;
            metrics.RecordLoad(clock.Elapsed, error: null);
            activity?.SetTag("gen_ai.request.model", engine.ModelName);
            state.SetReady(engine, generator);
            logger.ModelLoaded(engine.ModelName, clock.Elapsed.TotalSeconds, StartupReport.Describe(engine));
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "cancelled by the shutdown");
            logger.ModelLoadCancelled(clock.Elapsed.TotalSeconds);
        }
        catch (Exception e)
        {
            metrics.RecordLoad(clock.Elapsed, e);
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            state.SetFailed(e);
            logger.ModelLoadFailed(e.Message);
            logger.ModelLoadFailure(e);
            if (options.Value.StopApplicationOnLoadFailure)
                lifetime.StopApplication();
        }
    }

    /// <summary>Drains while the web server still accepts connections, so new requests get 503 rather than a refused connection.</summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await DrainOnceAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            logger.DrainTimeRanOut();
        }
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _onStarted.DisposeAsync().ConfigureAwait(false);
        await _onStopping.DisposeAsync().ConfigureAwait(false);
        Task loading;
        lock (_gate)
            loading = _loading;
        try
        {
            await DrainOnceAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            await loading.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            logger.ReleaseTimeRanOut();
            return;
        }
        await provider.DisposeAsync().ConfigureAwait(false);
        state.SetStopped();
        logger.ServerStopped();
    }

    /// <inheritdoc />
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Refuses new requests, lets running ones (HTTP, and in-process ones on the shared engine) finish for the
    /// drain time, aborts the HTTP ones left (the engine's disposal ends the in-process ones); once.</summary>
    private Task DrainOnceAsync()
    {
        lock (_gate)
            return _draining ??= DrainAsync();
    }

    private async Task DrainAsync()
    {
        state.SetStopping();
        if (!Busy())
            return;
        logger.Draining(Math.Max(tracker.Count, Engaged()), options.Value.DrainTimeout.TotalSeconds);
        using var drain = new CancellationTokenSource(options.Value.DrainTimeout);
        try
        {
            while (Busy())
                await Task.Delay(20, drain.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            logger.AbortingAtShutdown(tracker.AbortAll(RequestOwner.Server, "the server is shutting down"));
            await WaitQuietlyAsync(tracker.WhenIdleAsync(CancellationToken.None), AbortGrace).ConfigureAwait(false);
        }
    }

    /// <summary>HTTP requests in flight, or requests in the engine: an <c>IChatClient</c> sharing the engine drains too.</summary>
    private bool Busy() => tracker.Count > 0 || Engaged() > 0;

    /// <summary>The engine's running and waiting requests (none before it loaded).</summary>
    private int Engaged() => state.Engine is { } engine ? engine.RunningRequests + engine.WaitingRequests : 0;

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
