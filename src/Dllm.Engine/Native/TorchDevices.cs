using TorchSharp;

namespace Dllm.Native;

/// <summary>Turns a device name (<c>auto</c>, <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>) into a TorchSharp device.</summary>
public static class TorchDevices
{
    /// <summary>Resolves <paramref name="spec"/> against what the backend loaded.</summary>
    /// <exception cref="ArgumentException">The name is not a device, or asks for CUDA that is not there.</exception>
    public static torch.Device Resolve(string? spec, TorchBackendReport backend)
    {
        string value = string.IsNullOrWhiteSpace(spec) ? "auto" : spec.Trim().ToLowerInvariant();
        if (value == "auto")
            return backend.CudaAvailable ? new torch.Device(DeviceType.CUDA, 0) : torch.CPU;
        if (value == "cpu")
            return torch.CPU;
        if (value == "cuda" || value.StartsWith("cuda:", StringComparison.Ordinal))
        {
            int index = 0;
            if (value.Length > 4 && (!int.TryParse(value.AsSpan(5), out index) || index < 0))
                throw new ArgumentException($"device '{spec}': the CUDA index must be a non-negative integer, e.g. cuda:0.", nameof(spec));
            if (!backend.CudaAvailable)
                throw new ArgumentException($"device '{spec}': CUDA is not available (libtorch from {backend.LibTorchDirectory} has no working CUDA backend).", nameof(spec));
            if (index >= backend.CudaDeviceCount)
                throw new ArgumentException($"device '{spec}': only {backend.CudaDeviceCount} CUDA device(s) are visible.", nameof(spec));
            return new torch.Device(DeviceType.CUDA, index);
        }
        throw new ArgumentException($"device '{spec}' is not one of: auto, cpu, cuda, cuda:N.", nameof(spec));
    }
}
