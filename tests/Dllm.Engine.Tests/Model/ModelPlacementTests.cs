using Dllm.Model;
using Dllm.Runner;
using Dllm.Tests.Infrastructure;
using Dllm.Tests.Reference;
using TorchSharp;

namespace Dllm.Tests.Model;

public class ModelPlacementTests
{
    [Fact]
    public void A_model_split_across_two_placements_gives_exactly_the_unsplit_results()
    {
        Torch.EnsureLoaded();
        var config = LLaDA2Shapes.Tiny(vocabSize: 64, layers: 4) with { MaxPositionEmbeddings = 128 };
        var weights = ReferenceWeights.Random(config, 21);
        var split = ModelPlacement.FromStages(config, [new PlacementStage(torch.CPU, 0, 2), new PlacementStage(torch.CPU, 2, 2)]);
        using var whole = LLaDA2Model.Load(config, new ReferenceWeightSource(weights), torch.ScalarType.Float32, torch.CPU);
        using var parts = LLaDA2Model.Load(config, new ReferenceWeightSource(weights), torch.ScalarType.Float32, split);
        using var wholeCache = whole.CreateCache(2, 64);
        using var partsCache = parts.CreateCache(2, 64);
        int[] a = [5, 9, 1, 33, 2, 8, 61, 7, 4, 4, 12, 19, 3, 30, 50, 6], b = [40, 41, 42, 43, 44, 45, 46, 47];

        foreach (var (model, cache) in new[] { (whole, wholeCache), (parts, partsCache) })
            model.RunForward([new ForwardRequest(0, 0, a[..8])], cache, 8, writeCache: true, computeLogits: false);
        using var expected = whole.RunForward([new ForwardRequest(0, 8, a[8..]), new ForwardRequest(1, 0, b)], wholeCache, 8, writeCache: false)!;
        using var actual = parts.RunForward([new ForwardRequest(0, 8, a[8..]), new ForwardRequest(1, 0, b)], partsCache, 8, writeCache: false)!;

        Assert.Equal(2, parts.Placement.Stages.Count);
        Assert.Equal(0.0, ModelAssert.MaxAbsDifference(actual, expected));
    }

    [Fact]
    public void Balanced_split_of_flash_over_two_gpus_covers_every_layer_and_evens_the_bytes()
    {
        var flash = LLaDA2Shapes.Flash();
        var gpus = new[] { new torch.Device("cuda:0"), new torch.Device("cuda:1") };

        var placement = ModelPlacement.Balanced(flash, gpus);
        var weights = MemoryPlan.Weights(flash, 2);
        long first = weights.Embedding + Enumerable.Range(0, placement.Stages[0].LayerCount).Sum(l => weights.LayerBytes[l]);
        long second = weights.LmHead + Enumerable.Range(placement.Stages[1].FirstLayer, placement.Stages[1].LayerCount).Sum(l => weights.LayerBytes[l]);

        Assert.Equal(32, placement.Stages.Sum(s => s.LayerCount));
        Assert.InRange((double)first / second, 0.9, 1.1);
        Assert.InRange((first + second) / 1e9, 200, 215); // ~103B parameters in bf16
    }

    [Fact]
    public void Device_maps_parse_and_bad_ones_are_named()
    {
        var tiny = LLaDA2Shapes.Tiny(vocabSize: 64, layers: 4);

        var placement = ModelPlacement.Parse(tiny, "0-1:cpu, 2-3:cpu");
        var gap = Assert.Throws<ArgumentException>(() => ModelPlacement.Parse(tiny, "0-1:cpu,3-3:cpu"));
        var shortMap = Assert.Throws<ArgumentException>(() => ModelPlacement.Parse(tiny, "0-2:cpu"));
        var garbage = Assert.Throws<ArgumentException>(() => ModelPlacement.Parse(tiny, "all:cpu"));

        Assert.Equal([2, 2], placement.Stages.Select(s => s.LayerCount));
        Assert.Contains("expected a stage starting at layer 2", gap.Message);
        Assert.Contains("covers 3 layers but the model has 4", shortMap.Message);
        Assert.Contains("'all:cpu' is not FIRST-LAST:DEVICE", garbage.Message);
    }

    [Fact]
    public void The_memory_plan_says_flash_fits_on_two_but_not_one_141_GB_gpu()
    {
        var flash = LLaDA2Shapes.Flash();
        var one = ModelPlacement.Balanced(flash, [new torch.Device("cuda:0")]);
        var two = ModelPlacement.Balanced(flash, [new torch.Device("cuda:0"), new torch.Device("cuda:1")]);

        string onePlan = MemoryPlan.Describe(flash, one, slots: 16, contextLength: 8192, deviceMemoryGB: 141);
        string twoPlan = MemoryPlan.Describe(flash, two, slots: 16, contextLength: 8192, deviceMemoryGB: 141);

        Assert.Contains("fits: NO", onePlan);
        Assert.Contains("fits: yes", twoPlan);
        Assert.Contains("| cuda:1 |", twoPlan);
    }
}
