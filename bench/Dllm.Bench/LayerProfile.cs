using System.Diagnostics;
using Dllm.Decoding;
using Dllm.Model;
using Dllm.Native;
using Dllm.Runner;
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
        using var attention = new Attention(config, layerIndex, loader);
        int groups = config.NumAttentionHeads / config.NumKeyValueHeads;
        var columns = new List<double[]>();
        string[] pieces =
        [
            "RMSNorm [T, H]", "router", "experts: GroupedGemm path (GroupedMatmul.Choose's kernel)", "experts: all-experts bmm", "attention (qkv … dense)",
            "of it: cached K/V gather + cat (index_select of the prefix rows, both K and V)", "SDPA with mask", "SDPA without mask", "whole MoE layer (attention + grouped GEMM)", "lm_head → fp32", "greedy proposals over fp32 logits [T, V] (TokenSampler.ProposeGreedy)", "the same, one kernel (greedy_propose.cu)", "one tiny kernel",
        ];
        foreach (int batch in options.Batches)
        {
            using var scope = NewDisposeScope();
            int tokens = batch * block;
            var x = randn([tokens, config.HiddenSize], ScalarType.BFloat16, device);
            var (chosen, weights) = router.Route(x);
            using var cache = new KvCache(config, batch, prefix + block, ScalarType.BFloat16, device);
            var requests = Enumerable.Range(0, batch).Select(s => new ForwardRequest(s, prefix, new int[block])).ToList();
            using var geometry = new BatchGeometry(new BatchLayout(requests, block, cache.PageSize, prefix), device, alwaysMask: true);
            geometry.BuildMask(groups, ScalarType.BFloat16);
            var (cos, sin) = rope.Lookup(geometry.Positions);
            var queries = randn([batch, config.NumKeyValueHeads, groups * block, config.HeadDim], ScalarType.BFloat16, device);
            var keys = randn([batch, config.NumKeyValueHeads, prefix + block, config.HeadDim], ScalarType.BFloat16, device);
            var tiny = zeros(1, ScalarType.Float32, device);
            var logits = randn([batch, block, config.VocabSize], ScalarType.Float32, device);
            var proposals = empty([2, batch, block], ScalarType.Float32, device);
            int[] everyRow = [.. Enumerable.Range(0, batch)];
            var newKeys = randn([batch, block, config.NumKeyValueHeads, config.HeadDim], ScalarType.BFloat16, device);
            columns.Add(
            [
                Time(() => norm.Forward(x).Dispose()),
                Time(() => { var (e, w) = router.Route(x); e.Dispose(); w.Dispose(); }),
                Time(() => experts.Forward(x, chosen, weights, MoePath.GroupedGemm).Dispose()),
                Time(() => experts.Forward(x, chosen, weights, MoePath.AllExperts).Dispose()),
                Time(() => attention.Forward(x, geometry, rope, cos, sin, cache, writeCache: false).Dispose()),
                Time(() => { using var scope = NewDisposeScope(); Attention.WithCachedPrefix(cache, layerIndex, geometry, newKeys, newKeys); }),
                Time(() => nn.functional.scaled_dot_product_attention(queries, keys, keys, attn_mask: geometry.FoldedMask).Dispose()),
                Time(() => nn.functional.scaled_dot_product_attention(queries, keys, keys).Dispose()),
                Time(() => layer.ForwardSummed(x, geometry, rope, cos, sin, cache, writeCache: false, MoePath.GroupedGemm).Dispose()),
                Time(() => { using var logits = nn.functional.linear(x, lmHead); logits.to(ScalarType.Float32).Dispose(); }),
                Time(() => { using var step = NewDisposeScope(); TokenSampler.ProposeGreedy(logits, everyRow, proposals); }),
                Time(() => { using var step = NewDisposeScope(); TokenSampler.ProposeGreedy(logits, everyRow, proposals, native: true); }),
                Time(() => tiny.add_(1)),
            ]);
        }
        Console.WriteLine($"| piece | {string.Join(" | ", options.Batches.Select(b => $"batch {b} ({b * block} tokens)"))} |");
        Console.WriteLine($"|---|{string.Concat(options.Batches.Select(_ => "---:|"))}");
        for (int i = 0; i < pieces.Length; i++)
            Console.WriteLine($"| {pieces[i]} | {string.Join(" | ", columns.Select(c => c[i].ToString("F3")))} |");
        return 0;
    }

    /// <summary>GPU ms of one run of <paramref name="piece"/>: captured <see cref="Repeats"/>× in a graph, replayed.</summary>
    internal static double Time(Action piece)
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
