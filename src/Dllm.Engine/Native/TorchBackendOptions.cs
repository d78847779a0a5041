namespace Dllm.Native;

/// <summary>Where the native libtorch comes from.</summary>
public sealed record TorchBackendOptions
{
    /// <summary>Environment variable naming an existing libtorch directory (e.g. a PyTorch install's <c>torch/lib</c>).</summary>
    public const string LibTorchDirectoryVariable = "DLLM_LIBTORCH_DIR";

    /// <summary>
    /// An existing libtorch directory to load instead of the one shipped with the app. Null: use
    /// <see cref="LibTorchDirectoryVariable"/>, else the app's own libtorch, else a libtorch on <c>LD_LIBRARY_PATH</c>.
    /// Valid for apps that reference no Dllm runtime package and for apps that carry their libtorch in the
    /// <see cref="TorchBackend.BundledLibTorchFolder"/> folder (the dllm tool); refused for an app whose runtime package put
    /// libtorch next to LibTorchSharp, which .NET's native probing loads too (two libtorch copies abort a process).
    /// </summary>
    public string? LibTorchDirectory { get; init; }

    /// <summary>
    /// The OpenMP wait policy libtorch's CPU threads get (<c>OMP_WAIT_POLICY</c>, set in the native environment before
    /// libtorch loads): <c>PASSIVE</c> by default, so threads sleep between parallel regions instead of spinning on
    /// cores another process or the scheduler thread needs. An <c>OMP_WAIT_POLICY</c> in the environment wins; null
    /// leaves OpenMP's own default (spin a while, then sleep).
    /// </summary>
    public string? OpenMpWaitPolicy { get; init; } = "PASSIVE";
}
