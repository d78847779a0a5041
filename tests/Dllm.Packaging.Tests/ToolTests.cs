using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Dllm.Server.Tests.Infrastructure;

namespace Dllm.Packaging.Tests;

/// <summary>The dllm .NET tool installed from the packed folder with `dotnet tool install --tool-path`.</summary>
[Collection(PackagingCollection.Name)]
public sealed class ToolTests(PackageFeed feed)
{
    private static readonly Dictionary<string, string?> Environment = new()
    {
        ["DLLM_CACHE_DIR"] = Path.Combine(Path.GetTempPath(), "dllm-test-cache"),
        ["DLLM_LIBTORCH_DIR"] = null,
    };

    [Fact]
    public async Task The_installed_dllm_doctor_passes_on_its_own_cpu_libtorch()
    {
        string output = await feed.RunAsync(feed.Tool, ["doctor"], feed.Root, TimeSpan.FromMinutes(2), Environment);

        Assert.Contains("runtime:           package (CPU libtorch in the app's output)", output);
        Assert.Contains(Path.Combine(feed.Root, "tools", ".store"), output); // its libtorch is the tool's own copy
        Assert.Contains("dllm doctor: PASSED", output);
    }

    [Fact]
    public async Task The_installed_dllm_serve_answers_health_and_generate_with_the_demo_model()
    {
        int port = FreePort();
        using var serve = ExternalProcess.Start(feed.Tool, ["serve", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)], Environment);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
        await WaitForHealthAsync(http, serve);

        using var body = new StringContent("""{"text": "Hello", "sampling_params": {"max_new_tokens": 8, "temperature": 0}}""", Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("/generate", body);
        string text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(text);
        Assert.Equal(JsonValueKind.String, json.RootElement.GetProperty("text").ValueKind);
        Assert.InRange(json.RootElement.GetProperty("meta_info").GetProperty("completion_tokens").GetInt32(), 1, 8);
        Assert.Contains("DEMO model", serve.Output);
    }

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
