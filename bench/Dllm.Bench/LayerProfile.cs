using System.Diagnostics;
using Dllm.Model;
using Dllm.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Bench;

/// <summary>
/// Where a graphed step's time goes (no profiler on the CUDA host): each piece of one MoE layer — RMSNorm, router,
/// the routed experts on either path, the whole layer with attention — and the lm_head is captured in a CUDA graph
/// of <see cref="Repeats"/> repetitions and replayed; the table gives GPU time per repetition. A graph of tiny
/// kernels gives the cost of one kernel launch inside a graph (what each extra op costs a step).
/// </summary>
internal static class LayerProfile
{
    private const int Repeats = 10, Replays = 20;

    public static int Run(BenchOptions options, Device device)
    {
        using var inference = inference_mode();
        var config = LLaDA2Shapes.ByName(options.Shape);
        int layerIndex = config.FirstKDenseReplace; // the first MoE layer
        var loader = new WeightLoader(new RandomWeightSource(seed: 1), ScalarType.BFloat16, device);
        using var layer = new DecoderLayer(config, layerIndex, loader);
        using var norm = new RmsNorm(ones(config.HiddenSize, ScalarType.BFloat16, device), config.RmsNormEps);
        using var router = new MoeRouter(config, layerIndex, loader);
        using var experts = new MoeExperts(config, layerIndex, loader);
        using var lmHead = randn([config.VocabSize, config.HiddenSize], ScalarType.BFloat16, device).mul_(0.02);
        using var rope = new RotaryEmbedding(config.RotaryDim, config.RopeTheta, config.MaxPositionEmbeddings, device);
        int prefix = options.Prefixes.Max(), block = options.BlockSize;

        Console.WriteLine($"layer profile on {device}, shape {options.Shape} (layer {layerIndex}), prefix {prefix}, GPU ms per repetition (graph of {Repeats}, {Replays} replays)");
        Console.WriteLine("| batch (tokens) | RMSNorm | router | experts grouped GEMM | experts all-experts bmm | whole MoE layer (attention + grouped) | lm_head → fp32 | 1 tiny kernel |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (int batch in options.Batches)
        {
            using var scope = NewDisposeScope();
            int tokens = batch * block;
            var x = randn([tokens, config.HiddenSize], ScalarType.BFloat16, device);
            var (chosen, weights) = router.Route(x);
            using var cache = new KvCache(config, batch, prefix + block, ScalarType.BFloat16, device);
            var requests = Enumerable.Range(0, batch).Select(s => new ForwardRequest(s, prefix, new int[block])).ToList();
            using var geometry = new BatchGeometry(new BatchLayout(requests, block, cache.MaxLength, prefix), device, alwaysMask: true);
            geometry.FoldMask(config.NumAttentionHeads / config.NumKeyValueHeads);
            var (cos, sin) = rope.Lookup(geometry.Positions);
            var tiny = zeros(1, ScalarType.Float32, device);
            double[] times =
            [
                Time(() => norm.Forward(x).Dispose()),
                Time(() => { var (e, w) = router.Route(x); e.Dispose(); w.Dispose(); }),
                Time(() => experts.Forward(x, chosen, weights, MoePath.GroupedGemm).Dispose()),
                Time(() => experts.Forward(x, chosen, weights, MoePath.AllExperts).Dispose()),
                Time(() => layer.Forward(x, geometry, rope, cos, sin, cache, writeCache: false, MoePath.GroupedGemm).Dispose()),
                Time(() => { using var logits = nn.functional.linear(x, lmHead); logits.to(ScalarType.Float32).Dispose(); }),
                Time(() => tiny.add_(1)),
            ];
            Console.WriteLine($"| {batch} ({tokens}) | {string.Join(" | ", times.Select(t => t.ToString("F3")))} |");
        }
        return 0;
    }

    private static double Time(Action piece)
    {
        using var graph = CudaGraph.Capture(() =>
        {
            for (int i = 0; i < Repeats; i++)
                piece();
        });
        graph.Replay();
        cuda.synchronize();
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < Replays; i++)
            graph.Replay();
        cuda.synchronize();
        return watch.Elapsed.TotalMilliseconds / (Replays * Repeats);
    }
}
