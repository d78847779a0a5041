using System.Text;

namespace Dllm.Native;

/// <summary>What the native backend loaded, reported once at start-up.</summary>
public sealed record TorchBackendReport
{
    /// <summary>Where libtorch came from: <c>package (...)</c> (the app's own libtorch: a runtime package's next to LibTorchSharp, or one in the app's <c>libtorch/</c> folder) or
    /// <c>external (...)</c> (an existing libtorch from --libtorch-dir / DLLM_LIBTORCH_DIR or LD_LIBRARY_PATH).</summary>
    public required string Runtime { get; init; }

    /// <summary>The directory libtorch was loaded from.</summary>
    public required string LibTorchDirectory { get; init; }

    /// <summary>The one <c>libtorch_cpu.so</c> mapped into the process (from <c>/proc/self/maps</c>, symbolic links resolved).</summary>
    public string? LibTorchMapped { get; init; }

    /// <summary>The libtorch version, when it could be determined (package version or PyTorch's version.py).</summary>
    public string? LibTorchVersion { get; init; }

    /// <summary>The <c>libLibTorchSharp.so</c> that was loaded.</summary>
    public required string LibTorchSharpPath { get; init; }

    /// <summary>What the libstdc++ compatibility step did.</summary>
    public required LibStdCxxFixOutcome LibStdCxxFix { get; init; }

    /// <summary>True when libtorch's CUDA backend initialised and sees at least one device.</summary>
    public required bool CudaAvailable { get; init; }

    /// <summary>The number of CUDA devices libtorch sees.</summary>
    public required int CudaDeviceCount { get; init; }

    /// <summary>The first CUDA device's name (from the CUDA driver), when there is one.</summary>
    public string? DeviceName { get; init; }

    /// <summary>The first CUDA device's total memory in bytes, when there is one.</summary>
    public long? DeviceMemoryBytes { get; init; }

    /// <summary>The OpenMP wait policy libtorch's CPU threads use and where it came from, e.g. <c>PASSIVE (set by Dllm)</c>.</summary>
    public string OpenMpWaitPolicy { get; init; } = "unknown";

    /// <inheritdoc />
    public override string ToString()
    {
        var text = new StringBuilder();
        text.AppendLine($"runtime:           {Runtime}");
        text.AppendLine($"libtorch:          {LibTorchDirectory}");
        text.AppendLine($"libtorch mapped:   {LibTorchMapped ?? "unknown"}");
        text.AppendLine($"libtorch version:  {LibTorchVersion ?? "unknown"}");
        text.AppendLine($"LibTorchSharp:     {LibTorchSharpPath}");
        text.AppendLine($"libstdc++ fix:     {LibStdCxxFix}");
        text.AppendLine($"OpenMP wait:       {OpenMpWaitPolicy}");
        text.AppendLine($"CUDA available:    {CudaAvailable} ({CudaDeviceCount} device(s))");
        text.Append($"device:            {DeviceName ?? "cpu"}");
        if (DeviceMemoryBytes is long bytes)
            text.Append($" ({bytes / (1024.0 * 1024 * 1024):F1} GiB)");
        return text.ToString();
    }
}
