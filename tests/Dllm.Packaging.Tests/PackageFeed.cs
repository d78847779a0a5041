using System.Globalization;
using System.Text.RegularExpressions;
using Dllm.Server.Tests.Infrastructure;
using Dllm.Testing;

namespace Dllm.Packaging.Tests;

/// <summary>
/// The solution packed once into a temporary folder with a version of its own (so the machine's NuGet cache, which the
/// restores reuse for everything else, never serves an older build under the same version), a nuget.config that lists
/// that folder and nuget.org, the dllm tool installed from it, and a copy of the CPU libtorch laid out as a PyTorch
/// install's torch/lib (the stand-in for PyTorch's CUDA libtorch on a machine with no GPU). Cleans up the folder and the
/// cache entries after.
/// </summary>
public sealed partial class PackageFeed : IAsyncLifetime
{
    private static readonly string[] PackageIds = ["dllm", "dllm.ai", "dllm.engine", "dllm.server", "dllm.runtime.cpu"];

    /// <summary>The repository root (the folder holding Dllm.AI.sln).</summary>
    public string RepositoryRoot { get; } = RepositoryFolder.Root;

    /// <summary>The scratch folder: feed/, nuget.config, tools/, consumer apps.</summary>
    public string Root { get; } = Directory.CreateTempSubdirectory("dllm-packaging-").FullName;

    /// <summary>The packages' version: the repository's VersionPrefix with a unique suffix.</summary>
    public string Version { get; private set; } = "";

    /// <summary>The folder the packages are packed into.</summary>
    public string Feed => Path.Combine(Root, "feed");

    /// <summary>The nuget.config naming <see cref="Feed"/> and nuget.org.</summary>
    public string NuGetConfig => Path.Combine(Root, "nuget.config");

    /// <summary>The installed tool's executable.</summary>
    public string Tool => Path.Combine(Root, "tools", "dllm");

    /// <summary>
    /// An existing libtorch outside the tool's folder, as in a PyTorch install: <c>torch/lib</c> holding a copy of the
    /// CPU libtorch package's native files, beside <c>torch/version.py</c> saying <see cref="ExternalLibTorchVersion"/>.
    /// </summary>
    public string ExternalLibTorch => Path.Combine(Root, "pytorch", "torch", "lib");

    /// <summary>The version <see cref="ExternalLibTorch"/>'s version.py gives (PyTorch's own form, unlike the package's).</summary>
    public const string ExternalLibTorchVersion = "2.10.0+cpu";

    /// <summary>The machine's NuGet package cache.</summary>
    public static string NuGetCache => Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } given
        ? given
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>The output of `dotnet pack` of the solution.</summary>
    public string PackOutput { get; private set; } = "";

    /// <summary>The output of pack and tool install, for failure messages.</summary>
    public string Log { get; private set; } = "";

    /// <summary>The build configuration of this test assembly, whose solution build the pack reuses.</summary>
    public static string Configuration =>
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        // The tool is packed from a fresh publish folder: the project's own publish/ may hold files of another version.
        string suffix = string.Create(CultureInfo.InvariantCulture, $"test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}");
        File.WriteAllText(NuGetConfig, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="dllm-local" value="{Feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
              </packageSources>
            </configuration>
            """);
        PackOutput = await RunAsync("dotnet", ["pack", Path.Combine(RepositoryRoot, RepositoryFolder.SolutionFile), "-c", Configuration, "--no-build", "-o", Feed,
            $"-p:VersionSuffix={suffix}", $"-p:PublishDir={Path.Combine(Root, "publish")}/", "-nologo"], Root, TimeSpan.FromMinutes(5));
        Version = Directory.EnumerateFiles(Feed).Select(f => ToolPackage().Match(Path.GetFileName(f))).Single(m => m.Success).Groups[1].Value;
        await RunAsync("dotnet", ["tool", "install", "dllm", "--tool-path", Path.Combine(Root, "tools"), "--add-source", Feed,
            "--configfile", NuGetConfig, "--version", Version], Root, TimeSpan.FromMinutes(3));
        CopyExternalLibTorch();
    }

    private void CopyExternalLibTorch()
    {
        // The version the repository pins (Directory.Packages.props), restored into the NuGet cache by the solution build.
        string pins = File.ReadAllText(Path.Combine(RepositoryRoot, "Directory.Packages.props"));
        string version = LibTorchCpuPin().Match(pins).Groups[1].Value;
        string native = Path.Combine(NuGetCache, "libtorch-cpu-linux-x64", version, "runtimes", "linux-x64", "native");
        Assert.True(File.Exists(Path.Combine(native, "libtorch_cpu.so")), $"no CPU libtorch in the NuGet cache at {native}");
        Directory.CreateDirectory(ExternalLibTorch);
        foreach (string file in Directory.EnumerateFiles(native))
            File.Copy(file, Path.Combine(ExternalLibTorch, Path.GetFileName(file)));
        File.WriteAllText(Path.Combine(ExternalLibTorch, "..", "version.py"), $"__version__ = '{ExternalLibTorchVersion}'\n");
    }

    /// <inheritdoc />
    public Task DisposeAsync()
    {
        string cache = NuGetCache;
        foreach (string id in PackageIds)
        {
            DeleteIfPresent(Path.Combine(cache, id, Version));
            if (Directory.Exists(Path.Combine(cache, id)) && !Directory.EnumerateFileSystemEntries(Path.Combine(cache, id)).Any())
                Directory.Delete(Path.Combine(cache, id));
        }
        DeleteIfPresent(Root);
        return Task.CompletedTask;
    }

    /// <summary>Runs a command to completion; a non-zero exit fails with its output.</summary>
    public async Task<string> RunAsync(string program, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var env = new Dictionary<string, string?>(environment ?? new Dictionary<string, string?>())
        {
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
        };
        using var process = ExternalProcess.Start(program, arguments, env, workingDirectory);
        process.LowerPriority(); // pack, restore and build are heavy; the other test assemblies run beside them
        int exit = await process.WaitForExitAsync(timeout);
        Log += process.Output;
        Assert.True(exit == 0, $"{program} {string.Join(' ', arguments)} exited with {exit}:\n{process.Output}");
        return process.Output;
    }

    private static void DeleteIfPresent(string directory)
    {
        if (directory.Length > 0 && Directory.Exists(directory))
            Directory.Delete(directory, recursive: true);
    }

    [GeneratedRegex(@"^dllm\.(\d.*)\.nupkg$")]
    private static partial Regex ToolPackage();

    [GeneratedRegex(@"<PackageVersion Include=""libtorch-cpu-linux-x64"" Version=""([^""]+)""")]
    private static partial Regex LibTorchCpuPin();
}
