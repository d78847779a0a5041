using Dllm.Testing;

namespace Dllm.Server.Tests.Infrastructure;

/// <summary>
/// The server most tests share: the peaked tiny model (several tokens per step), 16 running requests, a context of
/// 2048 (the seed's max_new_tokens 1024 fits), a 256 KiB body limit, and the scripted generator for tool calls and failures.
/// </summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public const long BodyLimit = 256 * 1024;

    private DllmTestServer? _server;

    internal DllmTestServer Server => _server ?? throw new InvalidOperationException("not started");

    internal ScriptedGenerator Scripted { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _server = await DllmTestServer.StartAsync(
            TestEngines.Options(TinyModels.Peaked, maxRunningRequests: 16) with { ContextLength = 2048 },
            options =>
            {
                options.MaxRequestBodyBytes = BodyLimit;
                options.HealthRecentActivity = TimeSpan.Zero; // every probe generates, so tests can count its step
                options.Generator = engine => Scripted = new ScriptedGenerator(engine);
            });
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
    }
}
