using Dllm.Testing;

namespace Dllm.AI.Tests.Infrastructure;

/// <summary>One real engine over the tiny random model, shared by the tests of the <see cref="EngineCollection"/>.</summary>
public sealed class EngineFixture : IAsyncLifetime
{
    /// <summary>Block size of the shared engine: small, so short answers still stream several blocks.</summary>
    public const int BlockSize = 8;

    private DllmEngine? _engine;

    public DllmEngine Engine => _engine ?? throw new InvalidOperationException("not initialized");

    public async Task InitializeAsync() => _engine = await TestEngines.CreateAsync(TinyModels.Random, maxRunningRequests: 4, blockSize: BlockSize);

    public async Task DisposeAsync()
    {
        if (_engine is not null)
            await _engine.DisposeAsync();
    }
}

/// <summary>The tests that share the real engine (run one after another, so the 2-core machine is not oversubscribed).</summary>
[CollectionDefinition(Name)]
public sealed class EngineCollection : ICollectionFixture<EngineFixture>
{
    public const string Name = "engine";
}
