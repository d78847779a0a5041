using Dllm.Native;

namespace Dllm.Tests.Infrastructure;

/// <summary>Loads the native backend once for the test process (patching libLibTorchSharp.so when needed).</summary>
internal static class Torch
{
    /// <summary>The backend report; loading happens on first use.</summary>
    public static TorchBackendReport Backend => Lazy.Value;

    private static readonly Lazy<TorchBackendReport> Lazy = new(() => TorchBackend.Initialize());

    /// <summary>Call at the start of every test that touches TorchSharp.</summary>
    public static void EnsureLoaded() => _ = Backend;
}
