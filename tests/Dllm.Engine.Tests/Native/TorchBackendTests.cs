using Dllm.Native;
using Dllm.Tests.Infrastructure;
using TorchSharp;

namespace Dllm.Tests.Native;

public class TorchBackendTests
{
    [Fact]
    public void Backend_loads_the_cpu_build_and_reports_it()
    {
        var report = Torch.Backend;

        Assert.Equal("package (CPU libtorch in the app's output)", report.Runtime);
        Assert.True(File.Exists(Path.Combine(report.LibTorchDirectory, "libtorch_cpu.so")));
        Assert.StartsWith("2.10.0", report.LibTorchVersion);
        Assert.False(report.CudaAvailable);
        Assert.Same(report, TorchBackend.Initialize());
    }

    [Fact]
    public void Loaded_LibTorchSharp_is_loadable_here_and_runs_a_tensor_op()
    {
        Torch.EnsureLoaded();
        string libstdcxx = LibStdCxxCompatibility.FindSystemLibStdCxx()!;
        bool systemHasVersion = ElfSymbolVersions.ReadDefinitions(File.ReadAllBytes(libstdcxx)).Contains(LibStdCxxCompatibility.MissingVersion);
        var loaded = ElfSymbolVersions.ReadRequirements(File.ReadAllBytes(Torch.Backend.LibTorchSharpPath))
            .Single(r => r.Version == LibStdCxxCompatibility.MissingVersion);

        // On Debian 12 / Ubuntu 22.04 the app's copy must have been made weak; elsewhere left alone.
        Assert.Equal(!systemHasVersion, loaded.IsWeak);
        if (systemHasVersion)
            Assert.Equal(LibStdCxxFixOutcome.NotNeeded, Torch.Backend.LibStdCxxFix);
        else
            Assert.Contains(Torch.Backend.LibStdCxxFix, new[] { LibStdCxxFixOutcome.Patched, LibStdCxxFixOutcome.AlreadyPatched });

        using var a = torch.tensor(new float[] { 1, 2, 3, 4 }, [2, 2]);
        using var b = torch.tensor(new float[] { 5, 6, 7, 8 }, [2, 2]);
        using var c = a.matmul(b);
        Assert.Equal([19f, 22f, 43f, 50f], c.data<float>().ToArray());
    }

    [Fact]
    public void Device_names_resolve_and_bad_ones_are_named_in_the_error()
    {
        var report = Torch.Backend;

        Assert.Equal(DeviceType.CPU, TorchDevices.Resolve("auto", report).type);
        Assert.Equal(DeviceType.CPU, TorchDevices.Resolve("CPU", report).type);
        Assert.Contains("CUDA is not available", Assert.Throws<ArgumentException>(() => TorchDevices.Resolve("cuda:0", report)).Message);
        Assert.Contains("'tpu'", Assert.Throws<ArgumentException>(() => TorchDevices.Resolve("tpu", report)).Message);
    }

    [Fact]
    public void Self_test_passes_on_cpu()
    {
        Torch.EnsureLoaded();

        var checks = BackendSelfTest.Run(torch.CPU);

        Assert.Equal(3, checks.Count);
        Assert.All(checks, c => Assert.True(c.Passed, $"{c.Name}: {c.MaxError}"));
        Assert.All(checks.Take(2), c => Assert.InRange(c.MaxError, 1e-6, 3e-2)); // bf16 rounding is real, not zero
    }
}
