using Dllm.Decoding;
using Dllm.Testing;

namespace Dllm.Tests.Engine;

public class EnginePlacementTests
{
    [Fact]
    public async Task An_engine_with_its_layers_split_by_a_device_map_generates_what_the_unsplit_engine_does()
    {
        var requests = new[] { "split one", "a second prompt for the split engine" }
            .Select(p => GenerateRequest.FromText(p, new SamplingParams { MaxNewTokens = 40, IgnoreEos = true })).ToList();
        IReadOnlyList<GenerationResult> whole, split;
        await using (var engine = await TestEngines.CreateAsync(TinyModels.Random))
            whole = await engine.GenerateAsync(requests);
        await using (var engine = await DllmEngine.CreateAsync(TestEngines.Options(TinyModels.Random) with { DeviceMap = "0-0:cpu,1-2:cpu" }))
            split = await engine.GenerateAsync(requests);

        Assert.Equal(whole.Select(r => r.OutputIds), split.Select(r => r.OutputIds));
    }

    [Fact]
    public async Task A_bad_device_map_or_too_many_gpus_stops_the_engine_with_a_named_error()
    {
        var map = await Assert.ThrowsAsync<ArgumentException>(() => DllmEngine.CreateAsync(TestEngines.Options(TinyModels.Random) with { DeviceMap = "0-1:cpu" }));
        var gpus = await Assert.ThrowsAsync<ArgumentException>(() => DllmEngine.CreateAsync(TestEngines.Options(TinyModels.Random) with { Gpus = 2 }));

        Assert.Contains("device map: covers 2 layers but the model has 3", map.Message);
        Assert.Contains("gpus: 2 requested but 0 CUDA device(s) are visible", gpus.Message);
    }
}
