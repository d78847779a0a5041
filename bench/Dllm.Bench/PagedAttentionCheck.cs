using Dllm.Model;
using Dllm.Runner;
using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Bench;

/// <summary>
/// <c>--mode paged-attention-check</c>: one attention layer of the shape, once through the gather + masked SDPA path
/// and once through the native kernel that reads the pages in place (<see cref="PagedAttention"/>), on a cache whose
/// pages are shuffled, with prefixes of unequal length (padding) and, in a second layout, a fused step's placeholders;
/// prints the largest difference (relative to the largest output) and each path's GPU time (a CUDA graph of the layer's
/// attention), PASS when every difference is within bf16 rounding.
/// </summary>
internal static class PagedAttentionCheck
{
    private const double Tolerance = 2e-2;

    public static int Run(BenchOptions options, Device device)
    {
        using var inference = inference_mode();
        var config = LLaDA2Shapes.ByName(options.Shape);
        int layer = config.FirstKDenseReplace, block = options.BlockSize, pageSize = block;
        var loader = new WeightLoader(new RandomWeightSource(seed: 1), ScalarType.BFloat16, device);
        using var attention = new Attention(config, layer, loader);
        using var rope = new RotaryEmbedding(config.RotaryDim, config.RopeTheta, config.MaxPositionEmbeddings, device);
        int groups = config.NumAttentionHeads / config.NumKeyValueHeads;
        bool pass = true;
        Console.WriteLine($"paged attention check on {device}, shape {options.Shape} (layer {layer}, head dim {config.HeadDim}), tolerance {Tolerance} of the largest output");
        Console.WriteLine("| prefix | batch | layout | max abs difference / max abs output | gather + SDPA ms | paged kernel ms | result |");
        Console.WriteLine("|---:|---:|---|---:|---:|---:|---|");
        foreach (int prefix in options.Prefixes.Where(p => p > 0))
        {
            foreach (int batch in options.Batches)
            {
                int pagesPerRequest = (prefix + 2 * block + pageSize - 1) / pageSize;
                using var cache = new KvCache(config, batch * pagesPerRequest, pageSize, ScalarType.BFloat16, device);
                for (int l = 0; l < config.NumHiddenLayers; l++)
                {
                    cache.Keys(l).normal_();
                    cache.Values(l).normal_();
                }
                var random = new Random(prefix + batch);
                var pages = Enumerable.Range(0, batch * pagesPerRequest).OrderBy(_ => random.Next()).ToArray();
                var tables = Enumerable.Range(0, batch).Select(r => pages[(r * pagesPerRequest)..((r + 1) * pagesPerRequest)]).ToArray();
                // Unequal prefixes: request r has prefix - 32·r (at least one block), so all but the longest are padded.
                int Start(int r) => Math.Max(block, prefix - block * r);
                int[] Block(int r) => Enumerable.Range(0, block).Select(i => random.Next(config.VocabSize)).ToArray();
                var layouts = new (string Name, List<ForwardRequest> Requests)[]
                {
                    ("step", [.. Enumerable.Range(0, batch).Select(r => new ForwardRequest(tables[r], Start(r), Block(r)))]),
                    ("fused step, odd requests placeholders", [.. Enumerable.Range(0, batch).Select(r => r % 2 == 0
                        ? new ForwardRequest(tables[r], Start(r) - block, [.. Block(r), .. Block(r)])
                        : new ForwardRequest(tables[r], Start(r), [.. Block(r), .. Block(r)], Placeholders: block))]),
                };
                foreach (var (name, requests) in layouts)
                {
                    var layout = new BatchLayout(requests, block, pageSize, ForwardGraphs.PaddedPrefix(requests.Max(r => r.Start)));
                    using var gathered = new BatchGeometry(layout, device, alwaysMask: true);
                    using var paged = new BatchGeometry(layout, device, alwaysMask: true);
                    gathered.BuildMask(groups, ScalarType.BFloat16);
                    paged.AttendsInPlace = true;
                    using var x = randn([(long)batch * layout.NewTokens, config.HiddenSize], ScalarType.BFloat16, device).mul_(0.5);
                    var (cos, sin) = rope.Lookup(gathered.Positions);
                    using (cos)
                    using (sin)
                    {
                        using var expected = attention.Forward(x, gathered, rope, cos, sin, cache, writeCache: false);
                        using var actual = attention.Forward(x, paged, rope, cos, sin, cache, writeCache: false);
                        // Placeholder rows are not used by anyone: compare the real tokens' rows only.
                        using var real = Real(requests, layout.NewTokens, device);
                        double scale = expected.index_select(0, real).abs().max().ToDouble();
                        double difference = (expected.index_select(0, real).to(ScalarType.Float32) - actual.index_select(0, real).to(ScalarType.Float32)).abs().max().ToDouble() / scale;
                        double gatherMs = LayerProfile.Time(() => attention.Forward(x, gathered, rope, cos, sin, cache, writeCache: false).Dispose());
                        double pagedMs = LayerProfile.Time(() => attention.Forward(x, paged, rope, cos, sin, cache, writeCache: false).Dispose());
                        bool ok = difference <= Tolerance && !double.IsNaN(difference);
                        pass &= ok;
                        Console.WriteLine($"| {prefix} | {batch} | {name} | {difference:E2} | {gatherMs:F3} | {pagedMs:F3} | {(ok ? "PASS" : "FAIL")} |");
                    }
                }
            }
        }
        Console.WriteLine(pass ? "paged attention check: PASS" : "paged attention check: FAIL");
        return pass ? 0 : 1;
    }

    /// <summary>Rows of the real (not placeholder) new tokens in the [B·n] order of the forward.</summary>
    private static Tensor Real(List<ForwardRequest> requests, int n, Device device) =>
        tensor(requests.SelectMany((r, i) => Enumerable.Range(r.Placeholders, n - r.Placeholders).Select(t => (long)(i * n + t))).ToArray(), device: device);
}
