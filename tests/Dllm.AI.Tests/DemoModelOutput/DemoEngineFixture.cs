using Dllm.Decoding;

namespace Dllm.AI.Tests.DemoModelOutput;

/// <summary>One real CPU engine over the built-in trained demo model (<see cref="DemoModel"/>), shared by the tests of
/// <see cref="DemoEngineCollection"/>; default decoding (LowConfidence, threshold 0.95, block 32).</summary>
public sealed class DemoEngineFixture : IAsyncLifetime
{
    private DllmEngine? _engine;

    public DllmEngine Engine => _engine ?? throw new InvalidOperationException("not initialized");

    public async Task InitializeAsync()
    {
        string path = await DemoModel.EnsureAsync();
        _engine = await DllmEngine.CreateAsync(new DllmEngineOptions { ModelPath = path, Device = "cpu", MaxRunningRequests = 4 });
    }

    public async Task DisposeAsync()
    {
        if (_engine is not null)
            await _engine.DisposeAsync();
    }
}

/// <summary>The tests on the demo model's real output (run one after another on the shared engine).</summary>
[CollectionDefinition(Name)]
public sealed class DemoEngineCollection : ICollectionFixture<DemoEngineFixture>
{
    public const string Name = "demo-engine";
}
