using System.Reflection;
using Dllm.Native;

namespace Dllm.Server.Tests.Cli;

public class DoctorCommandTests
{
    private static readonly Dictionary<string, string?> NoFixDisabled = new() { [LibStdCxxCompatibility.DisableVariable] = null };

    [Fact]
    public async Task Doctor_reports_the_cpu_backend_and_passes()
    {
        var result = await DllmProcess.RunAsync(AppContext.BaseDirectory, NoFixDisabled, "doctor", "--device", "cpu");

        Assert.True(result.ExitCode == 0, result.All);
        Assert.Contains("runtime:           package (CPU libtorch in the app's output)", result.StandardOutput);
        Assert.Contains("libtorch version:  2.10.0", result.StandardOutput);
        Assert.Contains("[ok] bf16 matmul", result.StandardOutput);
        Assert.Contains("[ok] bf16 block-causal attention", result.StandardOutput);
        Assert.Contains("dllm doctor: PASSED", result.StandardOutput);
    }

    /// <summary>
    /// OMP_WAIT_POLICY reaches libgomp only through the native environment before libtorch loads: libgomp's own
    /// report (OMP_DISPLAY_ENV=VERBOSE) shows PASSIVE with a spin count of 0, against its default of 300000; a policy
    /// the user set is kept.
    /// </summary>
    [Fact]
    public async Task OpenMP_waits_passively_unless_the_user_chose_a_policy()
    {
        var passive = await DllmProcess.RunAsync(AppContext.BaseDirectory,
            new Dictionary<string, string?>(NoFixDisabled) { ["OMP_DISPLAY_ENV"] = "VERBOSE", ["OMP_WAIT_POLICY"] = null }, "doctor", "--device", "cpu");
        var active = await DllmProcess.RunAsync(AppContext.BaseDirectory,
            new Dictionary<string, string?>(NoFixDisabled) { ["OMP_DISPLAY_ENV"] = "VERBOSE", ["OMP_WAIT_POLICY"] = "ACTIVE" }, "doctor", "--device", "cpu");

        Assert.True(passive.ExitCode == 0, passive.All);
        Assert.Contains("OMP_WAIT_POLICY = 'PASSIVE'", passive.StandardError);
        Assert.Contains("GOMP_SPINCOUNT = '0'", passive.StandardError);
        Assert.Contains("OpenMP wait:       PASSIVE (set by Dllm)", passive.StandardOutput);
        Assert.True(active.ExitCode == 0, active.All);
        Assert.Contains("OMP_WAIT_POLICY = 'ACTIVE'", active.StandardError);
        Assert.Contains("OpenMP wait:       ACTIVE (from OMP_WAIT_POLICY)", active.StandardOutput);
    }

    [Fact]
    public async Task A_second_libtorch_beside_the_shipped_one_is_refused_with_what_to_do_instead()
    {
        string other = Directory.CreateTempSubdirectory("dllm-other-libtorch-").FullName;
        try
        {
            var result = await DllmProcess.RunAsync(AppContext.BaseDirectory, NoFixDisabled, "doctor", "--libtorch-dir", other);

            Assert.Equal(2, result.ExitCode);
            Assert.Contains($"asks for another ({other})", result.StandardError);
            Assert.Contains("Two libtorch copies in one process abort it", result.StandardError);
            Assert.Contains("remove the Dllm.Runtime.* package reference", result.StandardError);
        }
        finally
        {
            Directory.Delete(other);
        }
    }

    [Fact]
    public async Task Doctor_names_a_bad_device()
    {
        var result = await DllmProcess.RunAsync(AppContext.BaseDirectory, NoFixDisabled, "doctor", "--device", "cuda:0");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("device 'cuda:0': CUDA is not available", result.All);
    }

    [Fact]
    public async Task Without_the_weak_version_fix_the_load_fails_with_a_clear_message_and_with_it_passes()
    {
        string app = CopyAppWithPristineLibTorchSharp();
        try
        {
            string libstdcxx = LibStdCxxCompatibility.FindSystemLibStdCxx()!;
            bool systemHasVersion = ElfSymbolVersions.ReadDefinitions(File.ReadAllBytes(libstdcxx)).Contains(LibStdCxxCompatibility.MissingVersion);

            var disabled = await DllmProcess.RunAsync(app, new Dictionary<string, string?> { [LibStdCxxCompatibility.DisableVariable] = "1" }, "doctor", "--device", "cpu");
            var enabled = await DllmProcess.RunAsync(app, NoFixDisabled, "doctor", "--device", "cpu");
            var again = await DllmProcess.RunAsync(app, NoFixDisabled, "doctor", "--device", "cpu");

            if (systemHasVersion)
            {
                Assert.True(disabled.ExitCode == 0, disabled.All);
                Assert.Contains("libstdc++ fix:     NotNeeded", enabled.StandardOutput);
                return;
            }
            // This machine's libstdc++ is too old: without the fix, TorchSharp's native library cannot load.
            Assert.Equal(2, disabled.ExitCode);
            Assert.Contains($"LibTorchSharp: {Path.Combine(app, "runtimes", "linux-x64", "native", "libLibTorchSharp.so")} failed to load", disabled.StandardError);
            Assert.Contains(LibStdCxxCompatibility.MissingVersion, disabled.StandardError);
            Assert.Contains($"unset {LibStdCxxCompatibility.DisableVariable}", disabled.StandardError);
            Assert.DoesNotContain("libtorch-cpu-linux-x64", disabled.StandardError); // not TorchSharp's misleading text

            Assert.True(enabled.ExitCode == 0, enabled.All);
            Assert.Contains("libstdc++ fix:     Patched", enabled.StandardOutput);
            Assert.True(again.ExitCode == 0, again.All);
            Assert.Contains("libstdc++ fix:     AlreadyPatched", again.StandardOutput);
            // The NuGet cache is never written.
            var pristine = ElfSymbolVersions.ReadRequirements(File.ReadAllBytes(PristineLibTorchSharp)).Single(r => r.Version == LibStdCxxCompatibility.MissingVersion);
            Assert.False(pristine.IsWeak);
        }
        finally
        {
            Directory.Delete(app, recursive: true);
        }
    }

    private static string PristineLibTorchSharp =>
        Path.Combine(typeof(DoctorCommandTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "NuGetPackageRoot").Value!,
            "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    /// <summary>A copy of this app's output whose libLibTorchSharp.so is the unmodified one from the package
    /// (the big libtorch files are linked, not copied).</summary>
    private static string CopyAppWithPristineLibTorchSharp()
    {
        string source = AppContext.BaseDirectory;
        string target = Path.Combine(Path.GetTempPath(), $"dllm-app-{Guid.NewGuid():N}");
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(source, file);
            string destination = Path.Combine(target, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            if (Path.GetFileName(file) == "libLibTorchSharp.so")
                File.Copy(PristineLibTorchSharp, destination);
            else if (file.EndsWith(".so", StringComparison.Ordinal) || file.Contains(".so.", StringComparison.Ordinal))
                File.CreateSymbolicLink(destination, file);
            else
                File.Copy(file, destination);
        }
        return target;
    }
}
