using System.Net;
using Dllm.Server.Tests.Infrastructure;

namespace Dllm.Server.Tests.Endpoints;

/// <summary>JSON errors for a wrong method (405, any app) and an unknown path (404, <c>dllm serve</c>'s app), and <c>HEAD</c> on the health routes.</summary>
[Collection(ServerCollection.Name)]
public class RouteMissTests(ServerFixture host, ServeAppFixture serve)
{
    [Theory]
    [InlineData("GET", "/generate", "POST, PUT")]
    [InlineData("DELETE", "/v1/chat/completions", "POST")]
    [InlineData("POST", "/v1/models", "GET")]
    [InlineData("PUT", "/health", "GET, HEAD")]
    public async Task A_wrong_method_on_a_dllm_route_is_a_json_405_in_any_app(string method, string path, string allow)
    {
        foreach (var server in new[] { host.Server, serve.Server })
        {
            var response = await server.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

            var error = await response.ErrorAsync(HttpStatusCode.MethodNotAllowed);
            Assert.Equal("method_not_allowed", error.GetProperty("code").GetString());
            Assert.Equal(allow, string.Join(", ", response.Content.Headers.Allow));
        }
    }

    [Theory]
    [InlineData("GET", "/nope")]
    [InlineData("POST", "/v1/embeddings")]
    [InlineData("GET", "/favicon.ico")]
    public async Task An_unknown_path_is_a_json_404_on_the_serve_app(string method, string path)
    {
        var response = await serve.Server.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal("not_found", (await response.ErrorAsync(HttpStatusCode.NotFound)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_host_app_keeps_its_own_routes_and_404()
    {
        var hello = await host.Server.Client.GetAsync("/hello");
        var unknown = await host.Server.Client.GetAsync("/nope");

        Assert.Equal("hello from the host app", await hello.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("", await unknown.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/health_generate")]
    public async Task Head_on_a_health_route_answers_the_status_without_a_body(string path)
    {
        long steps = host.Server.Engine.DenoisingSteps;

        var response = await host.Server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.True(host.Server.Engine.DenoisingSteps > steps); // the probe generated, as GET does
    }

    [Fact]
    public async Task Head_on_health_of_a_server_without_a_model_is_a_503_without_a_body()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"dllm-missing-{Guid.NewGuid():N}");
        await using var server = await DllmTestServer.StartAsync(Dllm.Testing.TestEngines.Options(missing), o => o.StopApplicationOnLoadFailure = false, waitUntilReady: false);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (server.State.Status == Dllm.Server.Hosting.DllmServerStatus.Loading && DateTime.UtcNow < deadline)
            await Task.Delay(20);

        var head = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/health"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, head.StatusCode);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }
}
