namespace Dllm.Packaging.Tests;

/// <summary>
/// A hello-world app made from ConsumerTemplate/, referencing the packed Dllm.AI (and Dllm.Runtime.Cpu) from the local
/// folder like any package user, built with warnings as errors.
/// </summary>
[Collection(PackagingCollection.Name)]
public sealed class ConsumerTests(PackageFeed feed)
{
    [Fact]
    public async Task With_the_cpu_runtime_it_builds_clean_ships_one_libtorch_and_gets_a_chat_response()
    {
        string app = await BuildAsync("cpu");

        Assert.Single(Directory.EnumerateFiles(Path.Combine(app, "bin"), "libtorch_cpu.so", SearchOption.AllDirectories));
        string output = await feed.RunAsync("dotnet", [Path.Combine(app, "bin", "Release", "net10.0", "Consumer.dll")], app, TimeSpan.FromMinutes(2),
            new Dictionary<string, string?> { ["DLLM_CACHE_DIR"] = Path.Combine(Path.GetTempPath(), "dllm-test-cache"), ["DLLM_LIBTORCH_DIR"] = null });

        Assert.Matches(@"finish: (length|stop); output tokens: [1-8]\b", output);
    }

    [Fact]
    public async Task Without_a_runtime_it_ships_no_libtorch_says_which_package_to_add_and_runs_on_an_existing_libtorch()
    {
        string app = await BuildAsync("none");
        string cache = Path.Combine(feed.Root, "empty-cache"); // no demo model yet: writing it needs the backend

        Assert.Empty(Directory.EnumerateFiles(Path.Combine(app, "bin"), "libtorch*.so", SearchOption.AllDirectories));
        using var run = Server.Tests.Infrastructure.ExternalProcess.Start("dotnet", [Path.Combine(app, "bin", "Release", "net10.0", "Consumer.dll")],
            new Dictionary<string, string?> { ["DLLM_CACHE_DIR"] = cache, ["DLLM_LIBTORCH_DIR"] = null, ["LD_LIBRARY_PATH"] = null });
        int exit = await run.WaitForExitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(3, exit);
        Assert.Contains("runtime: No libtorch found", run.Output);
        Assert.Contains("Dllm.Runtime.Cpu", run.Output);
        Assert.Contains("Dllm.Runtime.Cuda", run.Output);
        Assert.Contains("DLLM_LIBTORCH_DIR", run.Output);

        // The documented route for CUDA: no runtime package, DLLM_LIBTORCH_DIR naming an existing libtorch (PyTorch's torch/lib).
        string output = await feed.RunAsync("dotnet", [Path.Combine(app, "bin", "Release", "net10.0", "Consumer.dll")], app, TimeSpan.FromMinutes(2),
            new Dictionary<string, string?> { ["DLLM_CACHE_DIR"] = Path.Combine(Path.GetTempPath(), "dllm-test-cache"), ["DLLM_LIBTORCH_DIR"] = feed.ExternalLibTorch });
        Assert.Matches(@"finish: (length|stop); output tokens: [1-8]\b", output);
    }

    private async Task<string> BuildAsync(string runtime)
    {
        string app = Path.Combine(feed.Root, $"consumer-{runtime}");
        Directory.CreateDirectory(app);
        foreach (string file in Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "ConsumerTemplate")))
            File.Copy(file, Path.Combine(app, Path.GetFileName(file)));
        // Warnings are errors in the template; a warning from our packages (CA1416, NU...) fails this build.
        await feed.RunAsync("dotnet", ["build", "-c", "Release", $"-p:DllmVersion={feed.Version}", $"-p:DllmRuntime={runtime}", "-nologo"],
            app, TimeSpan.FromMinutes(4));
        return app;
    }
}
