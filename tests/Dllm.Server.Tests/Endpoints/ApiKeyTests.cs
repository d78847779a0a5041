using System.ClientModel;
using System.Net;
using Dllm.Server.Tests.Clients;
using Dllm.Server.Tests.Infrastructure;
using Dllm.Testing;
using OpenAI.Chat;

namespace Dllm.Server.Tests.Endpoints;

/// <summary>With an API key every route but <c>/health</c> needs <c>Authorization: Bearer &lt;key&gt;</c>; nothing runs without it.</summary>
[Collection(ServerCollection.Name)]
public class ApiKeyTests(ApiKeyTests.KeyServer fixture) : IClassFixture<ApiKeyTests.KeyServer>
{
    private const string Key = "sk-test-key-123";

    /// <summary>A server started with <c>--api-key</c>.</summary>
    public sealed class KeyServer : IAsyncLifetime
    {
        internal DllmTestServer Server { get; private set; } = null!;

        public async Task InitializeAsync() => Server = await DllmTestServer.StartAsync(TestEngines.Options(TinyModels.Peaked), o => o.ApiKey = Key);

        public async Task DisposeAsync() => await Server.DisposeAsync();
    }

    public static TheoryData<string, string, string?> Routes => new()
    {
        { "POST", "/generate", """{"text": "hi", "sampling_params": {"max_new_tokens": 2}}""" },
        { "POST", "/v1/chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}""" },
        { "POST", "/v1/completions", """{"prompt": "hi", "max_tokens": 2}""" },
        { "POST", "/abort_request", """{"rid": "x"}""" },
        { "GET", "/v1/models", null },
        { "GET", "/get_model_info", null },
        { "GET", "/get_server_info", null },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Every_route_needs_the_key_and_nothing_runs_without_it(string method, string path, string? body)
    {
        var server = fixture.Server;
        long steps = server.Engine.DenoisingSteps;

        var missing = await server.Client.SendWithKeyAsync(new HttpMethod(method), path, key: null, body);
        var wrong = await server.Client.SendWithKeyAsync(new HttpMethod(method), path, key: "sk-wrong", body);
        var stepsWithoutKey = server.Engine.DenoisingSteps;
        var right = await server.Client.SendWithKeyAsync(new HttpMethod(method), path, Key, body);

        Assert.Equal("invalid_api_key", (await missing.ErrorAsync(HttpStatusCode.Unauthorized)).GetProperty("code").GetString());
        Assert.Equal("invalid_api_key", (await wrong.ErrorAsync(HttpStatusCode.Unauthorized)).GetProperty("code").GetString());
        Assert.Equal(steps, stepsWithoutKey);
        Assert.Equal(0, server.Tracker.Count);
        Assert.True(right.StatusCode == HttpStatusCode.OK, await right.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Health_needs_no_key_health_generate_does_and_the_openai_sdk_sends_it()
    {
        var server = fixture.Server;

        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client.GetAsync("/health_generate")).StatusCode);
        using var withKey = new HttpRequestMessage(HttpMethod.Get, "/health_generate") { Headers = { { "Authorization", $"Bearer {Key}" } } };
        Assert.Equal(HttpStatusCode.OK, (await server.Client.SendAsync(withKey)).StatusCode);
        var denied = await Assert.ThrowsAsync<ClientResultException>(() => OpenAiClients.Chat(server.BaseAddress, "sk-wrong").CompleteChatAsync([new UserChatMessage("hi")]));
        ChatCompletion completion = await OpenAiClients.Chat(server.BaseAddress, Key).CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { MaxOutputTokenCount = 3 });

        Assert.Equal(401, denied.Status);
        Assert.True(completion.Usage.OutputTokenCount <= 3);
    }
}
