using System.Net;
using System.Text;
using Dllm.Server.Tests.Infrastructure;

namespace Dllm.Server.Tests.Endpoints;

/// <summary>
/// What a web page of another site can do: nothing. Bodies must be declared JSON (415), a foreign <c>Origin</c> is
/// refused (403), and only the allowed origins get CORS headers (preflights included), on <c>dllm serve</c>'s app.
/// </summary>
[Collection(ServerCollection.Name)]
public class BrowserSafetyTests(ServeAppFixture fixture, ServerFixture plain)
{
    private const string Quick = """{"text": "hi", "sampling_params": {"max_new_tokens": 1}}""";

    private DllmTestServer Server => fixture.Server;

    private string OwnOrigin => Server.BaseAddress.GetLeftPart(UriPartial.Authority);

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public async Task A_text_plain_abort_all_is_a_415_and_aborts_nothing()
    {
        var running = Server.Client.PostAsync("/generate", RandomModelServer.Long("keeps-running", stream: false));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Server.Engine.RunningRequests == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the request never started");
            await Task.Delay(10);
        }

        var refused = await Server.Client.SendRawAsync(HttpMethod.Post, "/abort_request", Utf8("""{"abort_all": true}"""), "text/plain");
        await Task.Delay(200);
        bool stillRunning = !running.IsCompleted && Server.Tracker.Count == 1;
        await Server.Client.PostAsync("/abort_request", """{"rid": "keeps-running"}""");
        var finish = (await (await running).JsonAsync()).GetProperty("meta_info").GetProperty("finish_reason");

        var error = await refused.ErrorAsync(HttpStatusCode.UnsupportedMediaType);
        Assert.Equal("Content-Type", error.GetProperty("param").GetString());
        Assert.Contains("application/json", error.GetProperty("message").GetString());
        Assert.True(stillRunning);
        Assert.Equal("abort", finish.GetProperty("type").GetString());
        await Server.WaitUntilIdleAsync();
    }

    [Theory]
    [InlineData("application/json", HttpStatusCode.OK)]
    [InlineData("application/json; charset=utf-8", HttpStatusCode.OK)]
    [InlineData("Application/JSON;charset=UTF-8", HttpStatusCode.OK)]
    [InlineData("application/vnd.api+json", HttpStatusCode.OK)]
    [InlineData("text/plain", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("text/plain; charset=utf-8", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/x-www-form-urlencoded", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("multipart/form-data; boundary=x", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/json; charset=iso-8859-1", HttpStatusCode.UnsupportedMediaType)]
    [InlineData(null, HttpStatusCode.UnsupportedMediaType)]
    public async Task Only_json_bodies_are_read(string? contentType, HttpStatusCode expected)
    {
        long steps = Server.Engine.DenoisingSteps;

        var response = await Server.Client.SendRawAsync(HttpMethod.Post, "/generate", Utf8(Quick), contentType);

        Assert.True(expected == response.StatusCode, await response.Content.ReadAsStringAsync());
        if (expected != HttpStatusCode.OK)
        {
            Assert.Equal("unsupported_media_type", (await response.ErrorAsync(expected)).GetProperty("code").GetString());
            Assert.Equal(steps, Server.Engine.DenoisingSteps);
        }
    }

    [Theory]
    [InlineData("POST", "/generate")]
    [InlineData("POST", "/abort_request")]
    [InlineData("POST", "/v1/chat/completions")]
    [InlineData("GET", "/health_generate")]
    [InlineData("GET", "/get_server_info")]
    public async Task A_foreign_origin_is_a_403_and_nothing_runs(string method, string path)
    {
        long steps = Server.Engine.DenoisingSteps;
        byte[]? body = method == "POST" ? Utf8("""{"abort_all": true}""") : null;

        var response = await Server.Client.SendRawAsync(new HttpMethod(method), path, body, headers: ("Origin", "https://evil.example"));

        var error = await response.ErrorAsync(HttpStatusCode.Forbidden);
        Assert.Equal("origin_not_allowed", error.GetProperty("code").GetString());
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Equal(steps, Server.Engine.DenoisingSteps);
    }

    [Fact]
    public async Task The_servers_own_origin_is_served_without_cors_headers()
    {
        var response = await Server.Client.SendRawAsync(HttpMethod.Post, "/generate", Utf8(Quick), headers: ("Origin", OwnOrigin));

        await response.JsonAsync();
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task An_allowed_origin_is_served_with_cors_headers_and_its_preflight_answered()
    {
        var response = await Server.Client.SendRawAsync(HttpMethod.Post, "/generate", Utf8(Quick), headers: ("Origin", ServeAppFixture.AllowedOrigin));
        var preflight = await Server.Client.SendRawAsync(HttpMethod.Options, "/v1/chat/completions", null, headers:
            [("Origin", ServeAppFixture.AllowedOrigin), ("Access-Control-Request-Method", "POST"), ("Access-Control-Request-Headers", "authorization,content-type")]);
        var foreignPreflight = await Server.Client.SendRawAsync(HttpMethod.Options, "/v1/chat/completions", null, headers:
            [("Origin", "https://evil.example"), ("Access-Control-Request-Method", "POST")]);

        await response.JsonAsync();
        Assert.Equal(ServeAppFixture.AllowedOrigin, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
        Assert.Equal(ServeAppFixture.AllowedOrigin, preflight.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("POST", preflight.Headers.GetValues("Access-Control-Allow-Methods").Single());
        Assert.Contains("authorization", preflight.Headers.GetValues("Access-Control-Allow-Headers").Single(), StringComparison.OrdinalIgnoreCase);
        Assert.False(foreignPreflight.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Without_allowed_origins_there_is_no_cors_and_foreign_pages_are_refused()
    {
        var own = await plain.Server.Client.SendRawAsync(HttpMethod.Post, "/generate", Utf8(Quick), headers: ("Origin", plain.Server.BaseAddress.GetLeftPart(UriPartial.Authority)));
        var foreign = await plain.Server.Client.SendRawAsync(HttpMethod.Post, "/generate", Utf8(Quick), headers: ("Origin", ServeAppFixture.AllowedOrigin));
        var preflight = await plain.Server.Client.SendRawAsync(HttpMethod.Options, "/generate", null, headers:
            [("Origin", ServeAppFixture.AllowedOrigin), ("Access-Control-Request-Method", "POST")]);

        await own.JsonAsync();
        Assert.False(own.Headers.Contains("Access-Control-Allow-Origin"));
        await foreign.ErrorAsync(HttpStatusCode.Forbidden);
        Assert.False(preflight.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, preflight.StatusCode);
    }
}
