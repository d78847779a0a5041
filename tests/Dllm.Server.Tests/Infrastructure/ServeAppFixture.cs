using Dllm.Cli;
using Dllm.Testing;

namespace Dllm.Server.Tests.Infrastructure;

/// <summary>
/// A server with <c>dllm serve</c>'s routes (CORS, the dllm endpoints, the JSON 404 fallback) over the random tiny
/// model (long generations take seconds, one-token ones are quick), allowing the origin <see cref="AllowedOrigin"/>.
/// </summary>
public sealed class ServeAppFixture : IAsyncLifetime
{
    public const string AllowedOrigin = "http://app.example:8080";

    private DllmTestServer? _server;

    internal DllmTestServer Server => _server ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() =>
        _server = await DllmTestServer.StartAsync(
            TestEngines.Options(TinyModels.Random, maxRunningRequests: 4) with { ContextLength = 2048 },
            options => options.AllowedOrigins.Add(AllowedOrigin),
            map: app => ServeHost.MapRoutes(app, cors: true));

    public async Task DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
    }
}
