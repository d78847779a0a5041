using System.Globalization;
using Dllm.Model;

namespace Dllm.Cli;

/// <summary>
/// Checks the <c>dllm serve</c> flags that need no model and no native library (ranges, names, syntax, existing
/// paths), so a bad command line exits 2 with one line naming the flag before anything is loaded.
/// </summary>
internal static class ServeFlagCheck
{
    /// <summary>Checks <paramref name="settings"/>.</summary>
    /// <exception cref="ServeSetupException">A flag's value cannot work; the message names the flag.</exception>
    public static void Check(ServeSettings settings)
    {
        if (settings.MaxRunningRequests is int running && running < 1)
            throw new ServeSetupException($"--max-running-requests {running} must be at least 1.");
        if (settings.ContextLength is int context && context < 1)
            throw new ServeSetupException($"--context-length {context} must be at least 1.");
        if (settings.CpuThreads is int threads && threads < 1)
            throw new ServeSetupException($"--cpu-threads {threads} must be at least 1.");
        if (settings.Gpus is int gpus && gpus < 1)
            throw new ServeSetupException($"--gpus {gpus} must be at least 1.");
        CheckDType(settings.DType);
        if (!IsDevice(settings.Device, allowAuto: true))
            throw new ServeSetupException($"--device '{settings.Device}' is not one of: auto, cpu, cuda, cuda:N.");
        if (settings.DeviceMap is string map)
            CheckDeviceMap(map);
        if (settings.LibTorchDirectory is string libTorch && !Directory.Exists(libTorch))
            throw new ServeSetupException($"--libtorch-dir '{libTorch}' is not a directory.");
    }

    private static void CheckDType(string dtype)
    {
        if (dtype.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase))
            return;
        try
        {
            _ = DTypes.Parse(dtype, "--dtype");
        }
        catch (ArgumentException)
        {
            throw new ServeSetupException($"--dtype '{dtype}' is not one of: auto, bfloat16, float16, float32.");
        }
    }

    /// <summary>auto (when allowed), cpu, cuda or cuda:N, in any case.</summary>
    private static bool IsDevice(string spec, bool allowAuto)
    {
        string value = spec.Trim().ToLowerInvariant();
        return (allowAuto && value == "auto") || value is "cpu" or "cuda"
            || (value.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(value.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out _));
    }

    /// <summary>FIRST-LAST:DEVICE[,FIRST-LAST:DEVICE...]: the syntax only; the layer count is checked against config.json at load.</summary>
    private static void CheckDeviceMap(string map)
    {
        var parts = map.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0)
            throw new ServeSetupException($"--device-map '{map}' is empty; write FIRST-LAST:DEVICE,... (e.g. 0-15:cuda:0,16-31:cuda:1).");
        foreach (string part in parts)
        {
            int colon = part.IndexOf(':', StringComparison.Ordinal);
            string[] range = colon > 0 ? part[..colon].Split('-') : [];
            bool valid = range.Length == 2
                && int.TryParse(range[0], NumberStyles.None, CultureInfo.InvariantCulture, out int first)
                && int.TryParse(range[1], NumberStyles.None, CultureInfo.InvariantCulture, out int last)
                && last >= first
                && IsDevice(part[(colon + 1)..], allowAuto: false);
            if (!valid)
                throw new ServeSetupException($"--device-map: '{part}' is not FIRST-LAST:DEVICE (e.g. 0-15:cuda:0).");
        }
    }
}
