using Dllm.Model;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace Dllm.Bench;

/// <summary>
/// Checks CUDA-graph replay and the grouped-GEMM MoE path on a real GPU (CI has none): the same forwards — steps of
/// two requests with different prefixes, a replay with new tokens, a fused clean pass that writes the cache, and a step
/// that reads what it wrote — run eagerly and replayed from graphs must agree, and the grouped GEMM must agree with
/// the all-experts path. Prints the largest differences relative to the largest logit; exit code 1 beyond tolerance.
/// </summary>
internal static class GraphCheck
{
    private const double Tolerance = 2e-2; // bf16: different kernels (masked/unmasked attention, grouped/batched GEMM) round differently

    public static int Run(BenchOptions options, torch.Device device, ILogger logger)
    {
        var config = LLaDA2Shapes.ByName(options.Shape);
        using var model = LLaDA2Model.Load(config, new RandomWeightSource(seed: 1), torch.ScalarType.BFloat16, device, logger);
        var random = new Random(11);
        int[] Tokens(int n) => Enumerable.Range(0, n).Select(_ => random.Next(config.VocabSize)).ToArray();
        int[] prompt0 = Tokens(320), prompt1 = Tokens(64);
        int block = options.BlockSize;
        List<ForwardRequest> step1 = [new(0, 320, Tokens(block)), new(1, 64, Tokens(block))];
        List<ForwardRequest> step2 = [new(0, 320, Tokens(block)), new(1, 64, Tokens(block))];
        List<ForwardRequest> fused = [new(2, 0, Tokens(2 * block))];
        List<ForwardRequest> after = [new(2, 2 * block, Tokens(block))];

        torch.Tensor[] RunAll(MoePath path)
        {
            using var cache = model.CreateCache(3, 1024);
            model.Forward([new ForwardRequest(0, 0, prompt0)], cache, block, writeCache: true, computeLogits: false);
            model.Forward([new ForwardRequest(1, 0, prompt1)], cache, block, writeCache: true, computeLogits: false);
            return
            [
                Logits(model.Forward(step1, cache, block, writeCache: false, moePath: path)!),
                Logits(model.Forward(step2, cache, block, writeCache: false, moePath: path)!),
                Logits(model.Forward(fused, cache, block, writeCache: true, moePath: path)!),
                Logits(model.Forward(after, cache, block, writeCache: false, moePath: path)!),
            ];
        }

        string[] names = ["step", "replayed step, new tokens", "fused clean pass (writes cache)", "step after the written block"];
        var eagerAll = RunAll(MoePath.AllExperts);
        var eagerGemm = RunAll(MoePath.GroupedGemm);
        if (model.EnableCudaGraphs() is string why)
        {
            Console.WriteLine($"graph check: CUDA graphs unavailable: {why}");
            return 1;
        }
        var graphAll = RunAll(MoePath.AllExperts);
        var graphGemm = RunAll(MoePath.GroupedGemm);
        int captured = model.CudaGraphsCaptured;

        double worst = 0;
        Console.WriteLine($"graph check on {device}, shape {options.Shape}, {captured} graphs captured for 8 graphed forwards");
        Console.WriteLine("| forward | grouped GEMM vs all experts (eager) | graph vs eager (all experts) | graph vs eager (grouped GEMM) |");
        Console.WriteLine("|---|---:|---:|---:|");
        for (int i = 0; i < names.Length; i++)
        {
            double gemm = Relative(eagerGemm[i], eagerAll[i]), all = Relative(graphAll[i], eagerAll[i]), grouped = Relative(graphGemm[i], eagerGemm[i]);
            worst = Math.Max(worst, Math.Max(gemm, Math.Max(all, grouped)));
            Console.WriteLine($"| {names[i]} | {gemm:E2} | {all:E2} | {grouped:E2} |");
        }
        foreach (var t in eagerAll.Concat(eagerGemm).Concat(graphAll).Concat(graphGemm))
            t.Dispose();
        // Per path three shapes (the two steps share one graph: the second is a replay), so 6 captures for 8 forwards.
        bool replayed = captured == 6;
        Console.WriteLine($"largest relative difference {worst:E2} (tolerance {Tolerance:E0}); graphs captured {captured}");
        return worst < Tolerance && replayed ? 0 : 1;
    }

    private static torch.Tensor Logits(torch.Tensor logits)
    {
        var copy = logits.cpu(); // graphed logits live in a buffer the next forward overwrites
        logits.Dispose();
        return copy;
    }

    private static double Relative(torch.Tensor a, torch.Tensor b)
    {
        using var diff = a.sub(b).abs().max();
        using var scale = b.abs().max();
        return diff.item<float>() / scale.item<float>();
    }
}
