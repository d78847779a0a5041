using System.IO.Compression;
using System.Xml.Linq;

namespace Dllm.Packaging.Tests;

/// <summary>What `dotnet pack` of the solution produces: the packages, each with licence, README, repository and version.</summary>
[Collection(PackagingCollection.Name)]
public sealed class PackageMetadataTests(PackageFeed feed)
{
    [Theory]
    [InlineData("Dllm.Engine")]
    [InlineData("Dllm.AI")]
    [InlineData("Dllm.Server")]
    [InlineData("Dllm.Runtime.Cpu")]
    [InlineData("dllm")]
    public void Each_package_has_licence_readme_repository_and_the_one_version(string id)
    {
        using var package = ZipFile.OpenRead(Path.Combine(feed.Feed, $"{id}.{feed.Version}.nupkg"));
        var nuspec = XDocument.Load(package.GetEntry($"{id}.nuspec")!.Open());
        var metadata = nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string? Field(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;
        var repository = metadata.Elements().Single(e => e.Name.LocalName == "repository");

        Assert.Equal(feed.Version, Field("version"));
        Assert.Equal("MIT", Field("license"));
        Assert.Equal("README.md", Field("readme"));
        Assert.NotNull(package.GetEntry("README.md"));
        Assert.Equal("Dllm.AI contributors", Field("authors"));
        Assert.Equal("https://github.com/dllm-ai/dllm", repository.Attribute("url")?.Value);
        Assert.Matches("^[0-9a-f]{40}$", repository.Attribute("commit")?.Value ?? "");
        Assert.False(string.IsNullOrWhiteSpace(Field("description")));
    }

    [Fact]
    public void The_solution_packs_with_no_warning()
    {
        Assert.Contains("Successfully created package", feed.PackOutput);
        Assert.DoesNotMatch(@"(?i):\s*warning\b", feed.PackOutput);
    }

    [Fact]
    public void The_tool_carries_libtorch_in_its_own_folder_outside_the_native_probing()
    {
        using var package = ZipFile.OpenRead(Path.Combine(feed.Feed, $"dllm.{feed.Version}.nupkg"));
        var files = package.Entries.Select(e => e.FullName).ToArray();
        using var deps = new StreamReader(package.GetEntry("tools/net10.0/any/dllm.deps.json")!.Open());

        Assert.Contains("tools/net10.0/any/libtorch/libtorch_cpu.so", files);
        Assert.Contains("tools/net10.0/any/libtorch/LICENSE-LIBTORCH.txt", files);
        Assert.Contains("tools/net10.0/any/runtimes/linux-x64/native/libLibTorchSharp.so", files);
        Assert.Single(files, f => f.EndsWith("/libtorch_cpu.so", StringComparison.Ordinal));
        string depsJson = deps.ReadToEnd();
        Assert.Contains("libLibTorchSharp.so", depsJson);
        Assert.DoesNotContain("libtorch_cpu.so", depsJson, StringComparison.Ordinal); // nothing for the native probing to find
        Assert.DoesNotContain("libtorch-cpu-linux-x64", depsJson, StringComparison.Ordinal);
    }

    [Fact]
    public void The_engine_carries_no_libtorch_and_the_cpu_runtime_brings_it()
    {
        Assert.DoesNotContain("libtorch", Dependencies("Dllm.Engine"), StringComparer.OrdinalIgnoreCase);
        Assert.Contains("TorchSharp", Dependencies("Dllm.Engine"));
        Assert.Equal(["libtorch-cpu-linux-x64"], Dependencies("Dllm.Runtime.Cpu"));
    }

    [Fact]
    public void Only_the_libraries_the_runtime_and_the_tool_are_packed()
    {
        var ids = Directory.EnumerateFiles(feed.Feed, "*.nupkg").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(new[] { "Dllm.AI", "Dllm.Engine", "Dllm.Runtime.Cpu", "Dllm.Server", "dllm" }.Select(id => $"{id}.{feed.Version}.nupkg"), ids);
    }

    private string[] Dependencies(string id)
    {
        using var package = ZipFile.OpenRead(Path.Combine(feed.Feed, $"{id}.{feed.Version}.nupkg"));
        var nuspec = XDocument.Load(package.GetEntry($"{id}.nuspec")!.Open());
        return nuspec.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => e.Attribute("id")!.Value).ToArray();
    }
}
