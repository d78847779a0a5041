using Dllm.Checkpoints;
using Dllm.Model;
using Dllm.Native;
using Dllm.Runner;
using Dllm.Training.Data;
using Dllm.Training.Tokenizer;
using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Training.Tests;

public sealed class TrainingForwardTests
{
    private static (LLaDA2Model Model, int[] Tokens) TinyModel()
    {
        TorchBackend.Initialize();
        using var dir = new TempDirectory();
        var tokenizer = DemoTokenizerFiles.Write(dir.Path, BpeTrainer.Train(DemoCorpus.Generate(50, 1, DemoSplit.Train).Select(e => e.Response), 100));
        var config = DemoModelShapes.Tiny(tokenizer);
        var model = LLaDA2Model.LoadTrainable(config, new RandomWeightSource(3), CPU);
        var example = new CountingTask(down: false).ForCount(12);
        return (model, [.. example.Prompt.Encode(tokenizer), .. tokenizer.Encode(example.Response)]);
    }

    [Fact]
    public void Training_forward_with_the_block_causal_mask_equals_the_inference_forward()
    {
        var (model, tokens) = TinyModel();
        using var _ = model;
        const int block = 8;
        int n = tokens.Length;
        var mask = new bool[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                mask[i * n + j] = j / block <= i / block;
        using var cache = model.CreateCache(1, n);
        using var runner = new ForwardRunner(model);
        using var expected = runner.Forward([new ForwardRequest(0, 0, tokens)], cache, block, writeCache: false)!;
        using var actual = model.TrainingForward([.. tokens.Select(t => (long)t)], [.. Enumerable.Range(0, n).Select(i => (long)i)], mask, 1, n);
        Assert.True(actual.requires_grad);
        Assert.True(expected.allclose(actual, rtol: 1e-4, atol: 1e-4), $"max difference {(expected - actual).abs().max().item<float>()}");
    }

    [Fact]
    public void Backward_reaches_every_trainable_tensor_and_export_matches_the_layout()
    {
        var (model, tokens) = TinyModel();
        using var _ = model;
        int n = tokens.Length;
        using (var scope = NewDisposeScope())
        {
            var logits = model.TrainingForward([.. tokens.Select(t => (long)t)], [.. Enumerable.Range(0, n).Select(i => (long)i)], [.. Enumerable.Repeat(true, n * n)], 1, n);
            logits.square().mean().backward();
        }
        Assert.All(model.TrainableTensors, t => Assert.True(t.grad is not null && t.grad.abs().sum().item<float>() > 0));
        var layout = new LLaDA2CheckpointLayout(model.Config);
        var exported = model.ExportWeights().ToList();
        Assert.Equal(layout.Tensors.Select(t => t.Name), exported.Select(e => e.Name));
        Assert.All(exported, e => Assert.Equal(layout.ShapeOf(e.Name), e.Weight.shape));
        Assert.Equal(layout.ParameterCount, exported.Sum(e => e.Weight.numel()));
    }
}
