using Dllm.Checkpoints;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dllm.Hosting;

/// <summary>
/// Owns the one <see cref="DllmEngine"/> of an application (a DI singleton shared by the chat client and the
/// HTTP server): the model is loaded once, on the first <see cref="GetEngineAsync"/> or <see cref="StartAsync"/>,
/// and every caller awaits the same load. Disposing the provider disposes the engine.
/// </summary>
public sealed class DllmEngineProvider : IAsyncDisposable, IDisposable
{
    private readonly Func<CancellationToken, Task<DllmEngine>> _create;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _loadCancellation = new();
    private Task<DllmEngine>? _engine;
    private bool _disposed;

    /// <summary>A provider that creates the engine from <paramref name="options"/>.</summary>
    public DllmEngineProvider(DllmEngineOptions options, ILoggerFactory? loggerFactory = null)
        : this(options, loggerFactory, loadProgress: null)
    {
    }

    /// <summary>
    /// A provider that creates the engine from <paramref name="options"/>, reporting every tensor of the load to
    /// <paramref name="loadProgress"/> when given (on the loading thread; e.g. a progress bar).
    /// </summary>
    public DllmEngineProvider(DllmEngineOptions options, ILoggerFactory? loggerFactory, IProgress<CheckpointLoadProgress>? loadProgress)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        var logging = loggerFactory ?? NullLoggerFactory.Instance;
        _create = loadProgress is null
            ? ct => DllmEngine.CreateAsync(options, logging, ct)
            : ct => DllmEngine.CreateAsync(options, loadProgress, logging, ct);
    }

    /// <summary>A test seam: a provider whose load is <paramref name="create"/> (e.g. one held until a test lets it go).</summary>
    internal DllmEngineProvider(DllmEngineOptions options, Func<CancellationToken, Task<DllmEngine>> create)
    {
        Options = options;
        _create = create;
    }

    /// <summary>A provider over an engine the caller created (the caller keeps owning it only if it never disposes the provider).</summary>
    public DllmEngineProvider(DllmEngine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        Options = engine.Options;
        _engine = Task.FromResult(engine);
        _create = _ => _engine;
    }

    /// <summary>The engine options.</summary>
    public DllmEngineOptions Options { get; }

    /// <summary>The engine when it has loaded successfully, else null (still loading, failed or not started).</summary>
    public DllmEngine? Engine => _engine is { IsCompletedSuccessfully: true } task ? task.Result : null;

    /// <summary>The load failure, if loading failed (an <see cref="OperationCanceledException"/> after <see cref="CancelLoading"/>).</summary>
    public Exception? LoadError => _engine switch
    {
        { IsFaulted: true } task => task.Exception!.GetBaseException(),
        { IsCanceled: true } => new OperationCanceledException("the model load was cancelled."),
        _ => null,
    };

    /// <summary>Cancels a load in progress (it stops at the next tensor and frees what it loaded); no effect once loaded. Disposing the provider cancels too.</summary>
    public void CancelLoading()
    {
        lock (_gate)
        {
            if (!_disposed)
                _loadCancellation.Cancel();
        }
    }

    /// <summary>True while the model loads (started and not finished).</summary>
    public bool IsLoading => _engine is { IsCompleted: false };

    /// <summary>Starts loading (once) without waiting; a failure shows in <see cref="LoadError"/>.</summary>
    public void StartLoading()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _engine ??= _create(_loadCancellation.Token);
        }
    }

    /// <summary>Starts loading (once) and waits for it.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => GetEngineAsync(cancellationToken);

    /// <summary>The engine, loading it on first use.</summary>
    public Task<DllmEngine> GetEngineAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _engine ??= _create(_loadCancellation.Token);
        }
        return _engine.WaitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Task<DllmEngine>? engine;
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            engine = _engine;
        }
        await _loadCancellation.CancelAsync().ConfigureAwait(false);
        if (engine is null)
            return;
        try
        {
            await (await engine.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception) when (engine.IsFaulted || engine.IsCanceled)
        {
            // The load failed or was cancelled: nothing to dispose.
        }
        finally
        {
            _loadCancellation.Dispose();
        }
    }

    /// <inheritdoc />
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
