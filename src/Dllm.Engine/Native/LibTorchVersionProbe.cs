using System.Text.RegularExpressions;

namespace Dllm.Native;

/// <summary>Finds the version of a libtorch directory, from what lies beside it or what the app says about it.</summary>
internal static partial class LibTorchVersionProbe
{
    /// <summary>The file in an app's <see cref="TorchBackend.BundledLibTorchFolder"/> folder naming the libtorch package it holds: <c>id/version</c>.</summary>
    public const string PackageFile = "package.txt";

    /// <summary>
    /// The version of the libtorch in <paramref name="libTorchDir"/>, or null: PyTorch's <c>version.py</c>, a NuGet
    /// package folder in the path, and for the app's own libtorch (<paramref name="appOwn"/>) its <see cref="PackageFile"/>
    /// or the package its deps.json names.
    /// </summary>
    public static string? Find(string libTorchDir, bool appOwn)
    {
        // A PyTorch install: torch/lib/../version.py has "__version__ = '2.11.0+cu130'".
        string versionPy = Path.Combine(libTorchDir, "..", "version.py");
        if (File.Exists(versionPy))
        {
            var match = PyTorchVersion().Match(File.ReadAllText(versionPy));
            if (match.Success)
                return match.Groups[1].Value;
        }
        // A NuGet libtorch package folder: .../libtorch-cpu-linux-x64/2.10.0/runtimes/...
        var fromPath = LibTorchPackageFolder().Match(libTorchDir);
        if (fromPath.Success)
            return $"{fromPath.Groups[2].Value} ({fromPath.Groups[1].Value})";
        if (!appOwn)
            return null;
        // A NuGet libtorch package's files carried in the app's libtorch/ folder, with package.txt naming it ("id/version").
        string packageFile = Path.Combine(libTorchDir, PackageFile);
        if (File.Exists(packageFile) && LibTorchPackageLine().Match(File.ReadAllText(packageFile)) is { Success: true } named)
            return $"{named.Groups[2].Value} ({named.Groups[1].Value})";
        // The NuGet libtorch package copied into the app by a runtime package: the app's deps.json names it with its version.
        foreach (string deps in Directory.EnumerateFiles(AppContext.BaseDirectory, "*.deps.json"))
        {
            var match = LibTorchPackage().Match(File.ReadAllText(deps));
            if (match.Success)
                return $"{match.Groups[2].Value} ({match.Groups[1].Value})";
        }
        return null;
    }

    [GeneratedRegex(@"__version__\s*=\s*'([^']+)'")]
    private static partial Regex PyTorchVersion();

    [GeneratedRegex(@"/(libtorch-[a-z0-9.\-]+)/(\d+\.\d+\.\d+)/")]
    private static partial Regex LibTorchPackageFolder();

    [GeneratedRegex(@"^(libtorch-[a-z0-9.\-]+)/(\d+\.\d+\.\d+)")]
    private static partial Regex LibTorchPackageLine();

    [GeneratedRegex(@"""(libtorch-[a-z0-9.\-]+)/(\d+\.\d+\.\d+)""")]
    private static partial Regex LibTorchPackage();
}
