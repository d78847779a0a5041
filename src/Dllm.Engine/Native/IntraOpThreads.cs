using System.Globalization;

namespace Dllm.Native;

/// <summary>
/// libtorch's intra-op thread count on the CPU. The default is the machine's physical cores (hyper-threads share a
/// core's vector units, so a second thread per core rarely helps a matmul), at most the CPUs this process may use
/// (<see cref="Environment.ProcessorCount"/>: its affinity mask and container CPU quota).
/// </summary>
public static class IntraOpThreads
{
    /// <summary>The default thread count: physical cores, at most the CPUs this process may use, at least 1.</summary>
    public static int Default => Math.Max(1, Math.Min(PhysicalCores() ?? Environment.ProcessorCount, Environment.ProcessorCount));

    /// <summary>libtorch's intra-op threads now.</summary>
    public static int Current => TorchSharp.torch.get_num_threads();

    /// <summary>Sets libtorch's intra-op threads for the whole process (<c>torch.set_num_threads</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is below 1.</exception>
    public static void Set(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        TorchSharp.torch.set_num_threads(threads);
    }

    /// <summary>Distinct (package, core) pairs of the online CPUs, from sysfs; null where sysfs does not say.</summary>
    internal static int? PhysicalCores()
    {
        const string root = "/sys/devices/system/cpu";
        try
        {
            var cores = new HashSet<(string Package, string Core)>();
            foreach (string cpu in Directory.EnumerateDirectories(root, "cpu*"))
            {
                if (!int.TryParse(Path.GetFileName(cpu).AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out _))
                    continue;
                string core = Path.Combine(cpu, "topology", "core_id"), package = Path.Combine(cpu, "topology", "physical_package_id");
                if (File.Exists(core) && File.Exists(package))
                    cores.Add((File.ReadAllText(package).Trim(), File.ReadAllText(core).Trim()));
            }
            return cores.Count > 0 ? cores.Count : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
