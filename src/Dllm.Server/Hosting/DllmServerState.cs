using System.Diagnostics.CodeAnalysis;

namespace Dllm.Server.Hosting;

/// <summary>
/// The server's view of its engine (a DI singleton): the status, the engine and the generator the endpoints use
/// once loaded, the load error if loading failed. Thread-safe; written by the hosted service.
/// </summary>
public sealed class DllmServerState
{
    private readonly Lock _gate = new();
    private DllmServerStatus _status = DllmServerStatus.Loading;
    private DllmEngine? _engine;
    private IDllmGenerator? _generator;
    private Exception? _loadError;

    /// <summary>The current status.</summary>
    public DllmServerStatus Status
    {
        get { lock (_gate) return _status; }
    }

    /// <summary>Why loading failed, when <see cref="Status"/> is <see cref="DllmServerStatus.Failed"/>.</summary>
    public Exception? LoadError
    {
        get { lock (_gate) return _loadError; }
    }

    /// <summary>When the server object was created (reported as <c>created</c> by <c>/v1/models</c>).</summary>
    public DateTimeOffset CreatedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>The loaded engine and the generator the endpoints use, when <see cref="Status"/> is <see cref="DllmServerStatus.Ready"/>.</summary>
    public bool TryGetReady([NotNullWhen(true)] out DllmEngine? engine, [NotNullWhen(true)] out IDllmGenerator? generator)
    {
        lock (_gate)
        {
            bool ready = _status == DllmServerStatus.Ready;
            engine = ready ? _engine : null;
            generator = ready ? _generator : null;
            return ready;
        }
    }

    /// <summary>The engine whatever the status (null before it loaded); for reporting only.</summary>
    public DllmEngine? Engine
    {
        get { lock (_gate) return _engine; }
    }

    /// <summary>The generator the endpoints use whatever the status (null before the engine loaded): a shutdown aborts through it.</summary>
    internal IDllmGenerator? Generator
    {
        get { lock (_gate) return _generator; }
    }

    /// <summary>The engine loaded: the server serves with <paramref name="generator"/>.</summary>
    internal void SetReady(DllmEngine engine, IDllmGenerator generator)
    {
        lock (_gate)
        {
            _engine = engine;
            _generator = generator;
            if (_status == DllmServerStatus.Loading)
                _status = DllmServerStatus.Ready;
        }
    }

    /// <summary>The model failed to load.</summary>
    internal void SetFailed(Exception error)
    {
        lock (_gate)
        {
            _loadError = error;
            if (_status == DllmServerStatus.Loading)
                _status = DllmServerStatus.Failed;
        }
    }

    /// <summary>Shutdown began: new requests are refused.</summary>
    internal void SetStopping()
    {
        lock (_gate)
        {
            if (_status is DllmServerStatus.Loading or DllmServerStatus.Ready)
                _status = DllmServerStatus.Stopping;
        }
    }

    /// <summary>The engine is disposed.</summary>
    internal void SetStopped()
    {
        lock (_gate)
            _status = DllmServerStatus.Stopped;
    }
}
