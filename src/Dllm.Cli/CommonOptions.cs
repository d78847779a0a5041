using System.CommandLine;

namespace Dllm.Cli;

/// <summary>Options shared by several commands, defined once.</summary>
internal static class CommonOptions
{
    /// <summary><c>--device</c>: auto (CUDA when available), cpu, cuda or cuda:N.</summary>
    public static Option<string> Device() => new("--device")
    {
        Description = "Device: auto (CUDA when available), cpu, cuda or cuda:N.",
        DefaultValueFactory = _ => "auto",
    };

    /// <summary><c>--libtorch-dir</c>: an existing libtorch directory (external-backend builds).</summary>
    public static Option<string?> LibTorchDir() => new("--libtorch-dir")
    {
        Description = "An existing libtorch directory, e.g. a PyTorch install's torch/lib (for an app with no Dllm runtime package; this repository: builds with -p:DllmTorchBackend=external). Also DLLM_LIBTORCH_DIR.",
    };
}
