using System.Globalization;
using System.Text.RegularExpressions;
using Dllm.Server.Tests.Infrastructure;

namespace Dllm.Packaging.Tests;

/// <summary>
/// The solution packed once into a temporary folder with a version of its own (so the machine's NuGet cache, which the
/// restores reuse for everything else, never serves an older build under the same version), a nuget.config that lists
/// that folder and nuget.org, and the dllm tool installed from it. Cleans up the folder and the cache entries after.
/// </summary>
public sealed partial class PackageFeed : IAsyncLifetime
{
    private static readonly string[] PackageIds = ["dllm", "dllm.ai", "dllm.engine", "dllm.server", "dllm.runtime.cpu"];

    /// <summary>The repository root (the folder holding Dllm.AI.sln).</summary>
    public string RepositoryRoot { get; } = FindRepositoryRoot();

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
        await RunAsync("dotnet", ["pack", Path.Combine(RepositoryRoot, "Dllm.AI.sln"), "-c", Configuration, "--no-build", "-o", Feed,
            $"-p:VersionSuffix={suffix}", $"-p:PublishDir={Path.Combine(Root, "publish")}/", "-nologo"], Root, TimeSpan.FromMinutes(5));
        Version = Directory.EnumerateFiles(Feed).Select(f => ToolPackage().Match(Path.GetFileName(f))).Single(m => m.Success).Groups[1].Value;
        await RunAsync("dotnet", ["tool", "install", "dllm", "--tool-path", Path.Combine(Root, "tools"), "--add-source", Feed,
            "--configfile", NuGetConfig, "--version", Version], Root, TimeSpan.FromMinutes(3));
    }

    /// <inheritdoc />
    public Task DisposeAsync()
    {
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } given
            ? given
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
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

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Dllm.AI.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"Dllm.AI.sln not found above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex(@"^dllm\.(\d.*)\.nupkg$")]
    private static partial Regex ToolPackage();
}
