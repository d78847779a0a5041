using Dllm.Training.Data;
using Dllm.Training.Tokenizer;

namespace Dllm.Training.Tests;

public sealed class DemoModelShapesTests
{
    [Fact]
    public void Shapes_by_name_keep_the_demo_structure_and_the_tokenizers_ids()
    {
        using var dir = new TempDirectory();
        var tokenizer = DemoTokenizerFiles.Write(dir.Path, BpeTrainer.Train(DemoCorpus.Generate(50, 1, DemoSplit.Train).Select(e => e.Response), 100));

        var demo = DemoModelShapes.ByName("demo", tokenizer);
        var deep = DemoModelShapes.ByName("demo-6", tokenizer);

        Assert.Equal(4, demo.NumHiddenLayers);
        Assert.Equal(6, deep.NumHiddenLayers);
        Assert.Equal(demo with { NumHiddenLayers = 6 }, deep);
        Assert.Equal(1, deep.FirstKDenseReplace);
        Assert.Equal(tokenizer.MaskTokenId, deep.MaskTokenId);
        var error = Assert.Throws<ArgumentException>(() => DemoModelShapes.ByName("demo-8", tokenizer));
        Assert.Contains("demo, demo-6, tiny", error.Message);
    }
}
