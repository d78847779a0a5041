using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Dllm.Server.Tests.Infrastructure;

namespace Dllm.Packaging.Tests;

/// <summary>
/// The dllm .NET tool installed from the packed folder with `dotnet tool install --tool-path`: on its own CPU libtorch,
/// and on an existing libtorch outside its folder (--libtorch-dir / DLLM_LIBTORCH_DIR, as with PyTorch's torch/lib for
/// CUDA), with exactly one libtorch_cpu.so mapped into the process either way.
/// </summary>
[Collection(PackagingCollection.Name)]
public sealed class ToolTests(PackageFeed feed)
{
    private static readonly Dictionary<string, string?> Environment = new()
    {
        ["DLLM_CACHE_DIR"] = Path.Combine(Path.GetTempPath(), "dllm-test-cache"),
        ["DLLM_LIBTORCH_DIR"] = null,
    };

    private string ToolStore => Path.Combine(feed.Root, "tools", ".store");

    [Fact]
    public async Task The_installed_dllm_doctor_passes_on_its_own_cpu_libtorch()
    {
        string output = await feed.RunAsync(feed.Tool, ["doctor"], feed.Root, TimeSpan.FromMinutes(2), Environment);

        Assert.Contains("runtime:           package (CPU libtorch in the app's output)", output);
        string mapped = Line(output, "libtorch mapped:");
        Assert.StartsWith(ToolStore, mapped); // its libtorch is the tool's own copy, in the tool's libtorch/ folder
        Assert.EndsWith(Path.Combine("tools", "net10.0", "any", "libtorch", "libtorch_cpu.so"), mapped);
        Assert.Contains("libtorch version:  2.10.0 (libtorch-cpu-linux-x64)", output);
        Assert.Contains("dllm doctor: PASSED", output);
    }

    [Theory]
    [InlineData("--libtorch-dir")]
    [InlineData("DLLM_LIBTORCH_DIR")]
    public async Task The_installed_dllm_doctor_passes_on_an_existing_libtorch_outside_the_tool(string how)
    {
        var environment = new Dictionary<string, string?>(Environment);
        string[] arguments = ["doctor"];
        if (how == "DLLM_LIBTORCH_DIR")
            environment["DLLM_LIBTORCH_DIR"] = feed.ExternalLibTorch;
        else
            arguments = ["doctor", "--libtorch-dir", feed.ExternalLibTorch];

        string output = await feed.RunAsync(feed.Tool, arguments, feed.Root, TimeSpan.FromMinutes(2), environment);

        Assert.Contains("runtime:           external (--libtorch-dir / DLLM_LIBTORCH_DIR)", output);
        Assert.Equal(feed.ExternalLibTorch, Line(output, "libtorch:"));
        Assert.Equal(Path.Combine(feed.ExternalLibTorch, "libtorch_cpu.so"), Line(output, "libtorch mapped:"));
        Assert.Equal(PackageFeed.ExternalLibTorchVersion, Line(output, "libtorch version:")); // read from torch/version.py
        Assert.Contains("dllm doctor: PASSED", output);
    }

    [Fact]
    public async Task The_installed_dllm_serve_answers_health_and_generate_with_the_demo_model()
    {
        using var serve = await ServeAsync([]);

        await AssertGeneratesAsync(serve);
        Assert.StartsWith(ToolStore, Assert.Single(MappedLibTorch(serve)));
    }

    [Fact]
    public async Task The_installed_dllm_serve_runs_on_an_existing_libtorch_given_with_libtorch_dir()
    {
        using var serve = await ServeAsync(["--libtorch-dir", feed.ExternalLibTorch]);

        await AssertGeneratesAsync(serve);
        // The server process itself maps the external libtorch_cpu.so and no other (the tool's copy stays unloaded).
        Assert.Equal(Path.Combine(feed.ExternalLibTorch, "libtorch_cpu.so"), Assert.Single(MappedLibTorch(serve)));
    }

    /// <summary>A running <c>dllm serve</c> and a client of it.</summary>
    private sealed record Served(ExternalProcess Process, HttpClient Http) : IDisposable
    {
        public void Dispose()
        {
            Http.Dispose();
            Process.Dispose();
        }
    }

    private async Task<Served> ServeAsync(string[] extraArguments)
    {
        int port = FreePort();
        var serve = ExternalProcess.Start(feed.Tool, ["serve", "--port", port.ToString(CultureInfo.InvariantCulture), .. extraArguments], Environment);
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
        var served = new Served(serve, http);
        try
        {
            await WaitForHealthAsync(http, serve);
            return served;
        }
        catch
        {
            served.Dispose();
            throw;
        }
    }

    private static async Task AssertGeneratesAsync(Served serve)
    {
        using var body = new StringContent("""{"text": "Hello", "sampling_params": {"max_new_tokens": 8, "temperature": 0}}""", Encoding.UTF8, "application/json");
        using var response = await serve.Http.PostAsync("/generate", body);
        string text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {text}\n{serve.Process.Output}");
        using var json = JsonDocument.Parse(text);
        Assert.Equal(JsonValueKind.String, json.RootElement.GetProperty("text").ValueKind);
        Assert.InRange(json.RootElement.GetProperty("meta_info").GetProperty("completion_tokens").GetInt32(), 1, 8);
        Assert.Contains("DEMO model", serve.Process.Output);
    }

    /// <summary>The distinct libtorch_cpu.so files mapped into the process (its /proc/PID/maps).</summary>
    private static string[] MappedLibTorch(Served serve) =>
        File.ReadLines($"/proc/{serve.Process.Id}/maps")
            .Select(line => line.IndexOf('/', StringComparison.Ordinal) is int slash and >= 0 ? line[slash..].Trim() : "")
            .Where(path => Path.GetFileName(path) == "libtorch_cpu.so")
            .Distinct(StringComparer.Ordinal)
            .ToArray();

    /// <summary>The value of the report line starting with <paramref name="label"/>.</summary>
    private static string Line(string output, string label) =>
        output.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.StartsWith(label, StringComparison.Ordinal))?[label.Length..].Trim()
        ?? throw new Xunit.Sdk.XunitException($"no '{label}' line in:\n{output}");

    private static async Task WaitForHealthAsync(HttpClient http, ExternalProcess serve)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(serve.HasExited, $"dllm serve exited early:\n{serve.Output}");
            try
            {
                using var health = await http.GetAsync("/health");
                if (health.StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(250);
        }
        Assert.Fail($"dllm serve did not become healthy in 2 minutes:\n{serve.Output}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
