using Dllm.Checkpoints;
using Dllm.Model;
using Dllm.Runner;
using Dllm.Tokenization;
using TorchSharp;

namespace Dllm.Bench;

/// <summary>
/// Checks a layer split on real devices: the same synthetic checkpoint loaded on one device and split as
/// <c>--device-map</c> says must give the same logits (prefill + a cached block, two requests).
/// </summary>
internal static class SplitCheck
{
    public static int Run(BenchOptions options, torch.Device single)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"dllm-split-{options.Shape}");
        var config = SyntheticModelDirectory.Write(dir, LLaDA2Shapes.ByName(options.Shape), SyntheticTokenizerLayout.Small,
            new SyntheticCheckpointOptions { Seed = 3, DType = torch.ScalarType.Float32, Overwrite = true });
        using var whole = ModelLoader.Load(dir, LoadFormat.Safetensors, torch.ScalarType.Float32, single);
        using var split = ModelLoader.Load(dir, LoadFormat.Safetensors, torch.ScalarType.Float32, c => ModelPlacement.Parse(c, options.DeviceMap!));
        var random = new Random(5);
        int[] Tokens(int n) => Enumerable.Range(0, n).Select(_ => random.Next(config.VocabSize - 300)).ToArray();
        int[] a = Tokens(64), b = Tokens(32);
        double maxDiff = 0;
        foreach (var model in new[] { whole, split })
        {
            using var cache = model.CreateCache(2, 128);
            using var forwards = new ForwardRunner(model);
            forwards.Forward([new ForwardRequest(0, 0, a)], cache, 32, writeCache: true, computeLogits: false);
            using var logits = forwards.Forward([new ForwardRequest(0, 64, b), new ForwardRequest(1, 0, b)], cache, 32, writeCache: false)!;
            using var cpu = logits.to(torch.ScalarType.Float32).cpu(); // logits are in the model's dtype
            if (model == whole)
                Reference = cpu.clone();
            else
                maxDiff = Reference!.sub(cpu).abs().max().item<float>();
        }
        Console.WriteLine($"split check: {split.Placement} vs all on {single}: max |logit difference| = {maxDiff:E2}");
        Reference?.Dispose();
        return maxDiff < 1e-3 ? 0 : 1;
    }

    private static torch.Tensor? Reference { get; set; }
}
