namespace Dllm.Server.Hosting;

/// <summary>Where the server's engine is in its life.</summary>
public enum DllmServerStatus
{
    /// <summary>The model is loading; generation routes and health answer 503.</summary>
    Loading,

    /// <summary>The engine is loaded and serving.</summary>
    Ready,

    /// <summary>The model failed to load (see <see cref="DllmServerState.LoadError"/>).</summary>
    Failed,

    /// <summary>The server is shutting down: running requests drain, new ones get 503.</summary>
    Stopping,

    /// <summary>The engine has been disposed.</summary>
    Stopped,
}
