using System.Reflection;

namespace Dllm.Tests.Infrastructure;

/// <summary>Paths the tests need: the NuGet package root, the pristine TorchSharp native library, temp folders.</summary>
internal static class TestPaths
{
    public static string NuGetPackageRoot { get; } =
        typeof(TestPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .First(a => a.Key == "NuGetPackageRoot").Value!;

    /// <summary>The unmodified libLibTorchSharp.so inside the NuGet cache (read only, never written).</summary>
    public static string PristineLibTorchSharp { get; } =
        Path.Combine(NuGetPackageRoot, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    /// <summary>A new empty directory under the system temp folder.</summary>
    public static string NewTempDirectory(string prefix)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
