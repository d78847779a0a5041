using Dllm.Decoding;
using Dllm.Model;
using Dllm.Native;
using Dllm.Runner;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace Dllm.Bench;

/// <summary>
/// Checks the native piece on a real GPU (CI has none):
/// 1. the grouped expert product through libdllm_cuda (our GEMV and tensor-core kernels, torch's grouped GEMM, as
///    <c>GroupedMatmul.Choose</c> picks them by rows per expert) against one matmul per expert, on MoE-shaped inputs;
/// 2. forwards replayed from CUDA graphs against the same forwards run eagerly over the same (padded) layout —
///    steps of two requests with different prefixes, a replay with new tokens, a fused clean pass that writes the
///    cache, a step that reads what it wrote, a smaller batch whose logits share the larger one's buffer and the larger
///    one replayed after it, three requests replayed from the graph of four (a padding row in the cache's scratch
///    pages), a fused step with placeholders — for both capturable MoE paths. Same kernels, so they must agree.
/// (Whole-model logits of two different MoE paths are not compared: on random weights a bf16 rounding difference
/// flips near-tied expert choices and moves logits a lot; the CPU tests compare the paths in fp32.)
/// Exit code 1 beyond tolerance.
/// </summary>
internal static class GraphCheck
{
    private const double GemmTolerance = 1e-2;  // bf16 outputs of fp32 accumulations in different orders
    private const double GraphTolerance = 1e-3; // same kernels on the same inputs

    public static int Run(BenchOptions options, torch.Device device, ILogger logger)
    {
        using var inference = torch.inference_mode();
        var config = LLaDA2Shapes.ByName(options.Shape);
        bool ok = CheckGroupedGemm(device) & CheckExpertLayout(device) & CheckRouter(config, device) & CheckRmsNorm(device)
            & CheckQkRopeStore(device) & CheckGreedyPropose(device) & CheckProjectInto(device) & CheckFusedExpertOps(device) & CheckWiden(device);
        using var model = LLaDA2Model.Load(config, new RandomWeightSource(seed: 1), torch.ScalarType.BFloat16, device, logger);
        using var runner = new ForwardRunner(model);
        // Sizes 1, 2 and 4: the three-request forward below replays the graph of four with a padding row.
        var batchSizes = new GraphBatchSizes([1, 2, 4]);
        if (runner.EnableCudaGraphs(batchSizes) is string why)
        {
            Console.WriteLine($"graph check: CUDA graphs unavailable: {why}");
            return 1;
        }
        var random = new Random(11);
        int[] Tokens(int n) => Enumerable.Range(0, n).Select(_ => random.Next(config.VocabSize)).ToArray();
        int block = options.BlockSize;
        int[] prompt0 = Tokens(320), prompt1 = Tokens(64);
        (string Name, List<ForwardRequest> Requests, bool Write)[] forwards =
        [
            ("step, prefixes 320 and 64", [new(0, 320, Tokens(block)), new(1, 64, Tokens(block))], false),
            ("replayed step, new tokens", [new(0, 320, Tokens(block)), new(1, 64, Tokens(block))], false),
            ("fused clean pass (writes cache)", [new(2, 0, Tokens(2 * block))], true),
            ("step after the written block", [new(2, 2 * block, Tokens(block))], false),
            ("three requests, replayed from the graph of four with a padding row", [new(0, 320, Tokens(block)), new(1, 64, Tokens(block)), new(2, 2 * block, Tokens(block))], false),
            ("another request of that shape (its logits share the two-request step's buffer)", [new(1, 64, Tokens(block))], false),
            ("the two-request step again, after it", [new(0, 320, Tokens(block)), new(1, 64, Tokens(block))], false),
            ("fused step, the second request with placeholders", [new(0, 320 - block, Tokens(2 * block)), new([1], 64, Tokens(2 * block), Placeholders: block)], true),
        ];
        Console.WriteLine($"| forward | MoE path | max |graph - eager| / max |logit| |");
        Console.WriteLine("|---|---|---:|");
        foreach (var path in new[] { MoePath.AllExperts, MoePath.GroupedGemm })
        {
            using var cache = model.CreateCache(3, 1024);
            runner.Forward([new ForwardRequest(0, 0, prompt0)], cache, block, writeCache: true, computeLogits: false);
            runner.Forward([new ForwardRequest(1, 0, prompt1)], cache, block, writeCache: true, computeLogits: false);
            foreach (var (name, requests, write) in forwards)
            {
                // The eager forward over the batch as its graph runs it: padded up to the graph's batch size.
                int graphBatch = batchSizes.GraphBatchFor(requests.Count)!.Value;
                var padded = PaddedBatch.Pad(requests, graphBatch, cache);
                var layout = new BatchLayout(padded, block, cache.PageSize, ForwardGraphs.PaddedPrefix(requests.Max(r => r.Start)));
                using var geometry = new BatchGeometry(layout, device, alwaysMask: true);
                using var eagerPadded = model.Forward(geometry, cache, write, computeLogits: true, path)!;
                using var eager = eagerPadded.narrow(0, 0, requests.Count);
                using var graphed = runner.Forward(requests, cache, block, write, moePath: path)!;
                double difference = Relative(graphed, eager);
                ok &= difference < GraphTolerance && graphed.shape[0] == requests.Count;
                Console.WriteLine($"| {name} | {path} | {difference:E2} |");
            }
        }
        ok &= CheckSharedExpertOverlap(model, runner, forwards[0].Requests, prompt0, prompt1, block, device);
        // Five shapes per path: the second and seventh forwards replay the first one's graph, the sixth the fourth's.
        Console.WriteLine($"graphs captured: {runner.CudaGraphsCaptured} (expected 10)");
        ok &= runner.CudaGraphsCaptured == 10;
        Console.WriteLine(ok ? "graph check: PASS" : "graph check: FAIL");
        return ok ? 0 : 1;
    }

    /// <summary>The shared expert on a second stream beside the routed experts against one stream: the same logits, bit
    /// for bit (eager forwards of the grouped GEMM path).</summary>
    private static bool CheckSharedExpertOverlap(LLaDA2Model model, ForwardRunner runner, List<ForwardRequest> requests, int[] prompt0,
        int[] prompt1, int block, torch.Device device)
    {
        using var cache = model.CreateCache(3, 1024);
        runner.Forward([new ForwardRequest(0, 0, prompt0)], cache, block, writeCache: true, computeLogits: false);
        runner.Forward([new ForwardRequest(1, 0, prompt1)], cache, block, writeCache: true, computeLogits: false);
        var layout = new BatchLayout(requests, block, cache.PageSize, ForwardGraphs.PaddedPrefix(requests.Max(r => r.Start)));
        using var geometry = new BatchGeometry(layout, device, alwaysMask: true);
        bool saved = SharedExpertOverlap.Enabled;
        try
        {
            SharedExpertOverlap.Enabled = false;
            using var serial = model.Forward(geometry, cache, false, computeLogits: true, MoePath.GroupedGemm)!;
            SharedExpertOverlap.Enabled = true;
            using var beside = model.Forward(geometry, cache, false, computeLogits: true, MoePath.GroupedGemm)!;
            bool same = Same(serial, beside);
            Console.WriteLine($"shared expert beside the routed experts (second stream) vs after them: {(same ? "same" : "DIFFERENT")}");
            return same;
        }
        finally
        {
            SharedExpertOverlap.Enabled = saved;
        }
    }

    private static bool CheckGroupedGemm(torch.Device device)
    {
        bool ok = true;
        const int experts = 256;
        // By default: 200 rows over 256 experts (a batch-1 step) take our GEMV kernel, 4096 (batch 16, 16 per expert)
        // our tensor-core kernel, also for a down-projection shape (which takes it at batch 1 too: short dot products), and
        // 32768 (128 per expert) torch's grouped GEMM.
        foreach (var (pairs, hidden, width) in new[] { (200, 2048, 1024), (4096, 2048, 1024), (32768, 2048, 1024), (4096, 512, 2048), (200, 512, 2048) })
        {
            using var scope = torch.NewDisposeScope();
            torch.cuda.manual_seed_all(3);
            var rows = torch.randn([pairs, hidden], torch.ScalarType.BFloat16, device);
            var weights = torch.randn([experts + 1, width, hidden], torch.ScalarType.BFloat16, device).mul_(0.02);
            var expertOfRow = torch.randint(experts, [pairs], torch.ScalarType.Int64, device).sort().Values;
            var ends = torch.searchsorted(expertOfRow, torch.arange(experts, device: device), out_int32: true, right: true);
            var native = GroupedMatmul.Run(rows, weights, ends);
            var perExpert = GroupedMatmul.PerGroup(rows, weights, ends);
            double difference = Relative(native, perExpert);
            var kernel = GroupedMatmul.Choose(pairs, experts, width, hidden, device, rows.dtype);
            Console.WriteLine($"{kernel} ({pairs} rows over {experts} experts, [{hidden}→{width}]): max |native - per expert| / max = {difference:E2} (tolerance {GemmTolerance:E0})");
            ok &= difference < GemmTolerance;
            // The tokens gathered in the kernel's loads (rowsOf) against gathered first: the same bits.
            var tokens = rows.narrow(0, 0, Math.Max(1, pairs / 8));
            var rowsOf = torch.randint(tokens.shape[0], [pairs], torch.ScalarType.Int64, device);
            bool same = GroupedMatmul.Run(tokens, weights, ends, rowsOf: rowsOf).eq(GroupedMatmul.Run(tokens.index_select(0, rowsOf), weights, ends)).all().item<bool>();
            Console.WriteLine($"{kernel} with the rows gathered in its loads vs gathered first: {(same ? "same" : "DIFFERENT")}");
            ok &= same;
        }
        return ok;
    }

    /// <summary>The expert layout kernel against the stable sort by tensor ops: the same tensors, exactly.</summary>
    private static bool CheckExpertLayout(torch.Device device)
    {
        bool ok = true;
        const int experts = 256, k = 8;
        using var expertIds = torch.arange(experts, dtype: torch.ScalarType.Int64, device: device);
        foreach (int tokens in new[] { 1, 16, 512, 2048, 16384 })
        {
            using var scope = torch.NewDisposeScope();
            torch.manual_seed(tokens);
            // k distinct experts per token, as the router gives them.
            var chosen = torch.rand([tokens, experts], device: device).topk(k, dim: 1).indexes;
            var native = ExpertLayout.WithKernel(chosen, experts);
            var reference = ExpertLayout.WithTensorOps(chosen, expertIds);
            bool same = Same(native.Ends, reference.Ends) && Same(native.TokenOfRow, reference.TokenOfRow) && Same(native.RowOfPair, reference.RowOfPair);
            Console.WriteLine($"expert layout kernel vs stable sort ({tokens} tokens x {k} over {experts} experts): {(same ? "same" : "DIFFERENT")}");
            ok &= same;
        }
        return ok & CheckPassTable(device);
    }

    /// <summary>The tensor-core expert kernel with the layout kernel's pass table (a block per pass) against it without
    /// (a block per group and slot): the same products, bit for bit, on skewed routings like a block's mask tokens give.</summary>
    private static bool CheckPassTable(torch.Device device)
    {
        bool ok = true;
        const int experts = 256, k = 8, hidden = 2048, width = 1024;
        foreach (int tokens in new[] { 128, 512, 2048 })
        {
            using var scope = torch.NewDisposeScope();
            torch.manual_seed(tokens + 1);
            // The first half of the tokens take 8 of 10 hot experts (about 13 rows each per 32 tokens), the rest anywhere.
            var scores = torch.rand([tokens, experts], device: device);
            scores.narrow(0, 0, tokens / 2).narrow(1, 0, 10).add_(1.0);
            var chosen = scores.topk(k, dim: 1).indexes;
            var layout = ExpertLayout.WithKernel(chosen, experts);
            var rows = torch.randn([tokens * k, hidden], torch.ScalarType.BFloat16, device);
            var weights = torch.randn([experts, width, hidden], torch.ScalarType.BFloat16, device).mul_(0.02);
            var kernel = GroupedMatmul.Choose(tokens * k, experts, width, hidden, device, rows.dtype);
            var withTable = GroupedMatmul.Run(rows, weights, layout.Ends, layout.Passes);
            var without = GroupedMatmul.Run(rows, weights, layout.Ends);
            bool same = Same(withTable, without);
            Console.WriteLine($"{kernel} with the pass table ({layout.Passes?.shape[0] ?? 0} entries) vs without ({tokens} tokens, half to 10 hot experts): {(same ? "same" : "DIFFERENT")}");
            ok &= same;
        }
        return ok;
    }

    private static bool Same(torch.Tensor a, torch.Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    /// <summary>The qk-norm + rotary + K/V store kernel against the op path (the norm kernel, the rotation's ops, the
    /// index copies): the same Q/K heads and the same cache, bit for bit.</summary>
    private static bool CheckQkRopeStore(torch.Device device)
    {
        bool ok = true;
        const int queryHeads = 16, kvHeads = 4, headDim = 128, cacheRows = 4096;
        foreach (var (tokens, rotary, norm) in new[] { (32, 64, true), (512, 64, true), (512, 128, true), (77, 64, false) })
        {
            using var scope = torch.NewDisposeScope();
            torch.manual_seed(tokens + rotary);
            var qkv = torch.randn([tokens, (queryHeads + 2 * kvHeads) * headDim], torch.ScalarType.BFloat16, device);
            using var qkNorm = new RmsNorm(torch.rand([queryHeads + kvHeads, headDim], torch.ScalarType.BFloat16, device).add_(0.5), 1e-6);
            using var rope = new RotaryEmbedding(rotary, 600000.0, 8192, device);
            var positions = torch.randint(8192, [tokens], torch.ScalarType.Int64, device);
            var (cos, sin) = rope.Lookup(positions);
            var rows = torch.randperm(cacheRows, torch.ScalarType.Int64, device).narrow(0, 0, tokens);
            var keysOps = torch.zeros([cacheRows, kvHeads, headDim], torch.ScalarType.BFloat16, device);
            var valuesOps = torch.zeros_like(keysOps);
            var keysKernel = torch.zeros_like(keysOps);
            var valuesKernel = torch.zeros_like(keysOps);

            var qk = qkv.narrow(1, 0, (queryHeads + kvHeads) * headDim).view(tokens, queryHeads + kvHeads, headDim);
            var values = qkv.narrow(1, (queryHeads + kvHeads) * headDim, kvHeads * headDim).view(tokens, kvHeads, headDim);
            var reference = rope.Apply(norm ? qkNorm.Forward(qk) : qk, cos, sin);
            keysOps.index_copy_(0, rows, reference.narrow(1, queryHeads, kvHeads).contiguous());
            valuesOps.index_copy_(0, rows, values.contiguous());
            var (q, k, v) = Dllm.Native.CudaNative.QkRopeStore(qkv, norm ? qkNorm.Weight : null, qkNorm.Eps, cos, sin, rotary, queryHeads, kvHeads,
                rows, keysKernel, valuesKernel);
            bool same = Same(q, reference.narrow(1, 0, queryHeads)) && Same(k, reference.narrow(1, queryHeads, kvHeads))
                && Same(v, values)
                && q.is_contiguous() && k.is_contiguous() && v.is_contiguous()
                && Same(keysKernel, keysOps) && Same(valuesKernel, valuesOps);
            Console.WriteLine($"qk-norm + rotary + K/V store kernel vs ops ({tokens} tokens, rotary {rotary} of {headDim}, qk-norm {(norm ? "on" : "off")}): {(same ? "same" : "DIFFERENT")}");
            ok &= same;
        }
        return ok;
    }

    /// <summary>The one-pass greedy kernel against torch's reductions (TokenSampler's op path): the same tokens (ties
    /// included: some rows hold their maximum twice), confidences within 1e-4 relative.</summary>
    private static bool CheckWiden(torch.Device device)
    {
        bool ok = true;
        // A step's logits, and a count that is not a multiple of 8 (the kernel's tail)
        foreach (long[] shape in new[] { new long[] { 512, 157184 }, [3, 1001] })
        {
            using var scope = torch.NewDisposeScope();
            var logits = torch.randn(shape, torch.ScalarType.BFloat16, device).mul_(10.0);
            var kernel = torch.full(shape, double.NaN, torch.ScalarType.Float32, device);
            LogitsWidening.Into(logits, kernel);
            bool same = kernel.eq(logits.to(torch.ScalarType.Float32)).all().item<bool>();
            Console.WriteLine($"widen kernel vs copy_ [{string.Join(", ", shape)}]: {(same ? "same bits" : "DIFFERENT")}");
            ok &= same;
        }
        return ok;
    }

    /// <summary>The lm_head's GEMM into a buffer (<see cref="CudaNative.ProjectInto"/>) against <c>linear</c>: the same
    /// bits, for a step's bf16 logits and an fp32 model's.</summary>
    private static bool CheckProjectInto(torch.Device device)
    {
        bool ok = true;
        foreach (var (rows, width, vocab, dtype) in new[] { (512, 2048, 157184, torch.ScalarType.BFloat16), (96, 2048, 157184, torch.ScalarType.BFloat16), (7, 64, 1000, torch.ScalarType.Float32) })
        {
            using var scope = torch.NewDisposeScope();
            torch.manual_seed(rows);
            var hidden = torch.randn([rows, width], dtype, device);
            var head = torch.randn([vocab, width], dtype, device).div_(Math.Sqrt(width));
            var buffer = torch.full([2 * rows, vocab], double.NaN, dtype, device);
            var into = buffer.narrow(0, 0, rows);
            CudaNative.ProjectInto(hidden, head, into);
            bool same = Same(into, torch.nn.functional.linear(hidden, head));
            Console.WriteLine($"lm_head into a buffer vs linear ({rows} x {width} -> {vocab}, {dtype}): {(same ? "same bits" : "DIFFERENT")}");
            ok &= same;
        }
        return ok;
    }

    private static bool CheckGreedyPropose(torch.Device device)
    {
        bool ok = true;
        foreach (var (rows, vocab) in new[] { (32, 157184), (512, 157184), (7, 1001) })
        {
            using var scope = torch.NewDisposeScope();
            torch.manual_seed(rows);
            var logits = torch.randn([rows, 1, vocab], torch.ScalarType.Float32, device).mul_(3.0);
            logits.select(-1, 5).fill_(double.NegativeInfinity);     // the mask id
            logits[0, 0, 100] = logits[0, 0].max() + 1.0;               // a tie at 100 and 90: the lower index wins
            logits[0, 0, 90] = logits[0, 0, 100].clone();
            var ops = torch.empty([2, rows, 1], torch.ScalarType.Float32, device);
            var kernel = torch.empty([2, rows, 1], torch.ScalarType.Float32, device);
            int[] every = [.. Enumerable.Range(0, rows)];
            TokenSampler.ProposeGreedy(logits, every, ops);
            TokenSampler.ProposeGreedy(logits, every, kernel, native: true);
            bool sameTokens = Same(ops[0], kernel[0]);
            double confidence = ops[1].sub(kernel[1]).abs().div(ops[1]).max().item<float>();
            bool tie = kernel[0, 0, 0].item<float>() == 90;
            Console.WriteLine($"greedy kernel vs torch's reductions ({rows} rows x {vocab}): tokens {(sameTokens ? "same" : "DIFFERENT")}, tie to the lower index {(tie ? "yes" : "NO")}, max relative confidence difference {confidence:E2} (tolerance 1E-04)");
            ok &= sameTokens && tie && confidence < 1e-4;
            // bf16 logits, read as they are, against the kernel over their fp32 widening: the same bits.
            var narrow = logits.to(torch.ScalarType.BFloat16);
            var fromBf16 = torch.empty([2, rows, 1], torch.ScalarType.Float32, device);
            var fromWidened = torch.empty([2, rows, 1], torch.ScalarType.Float32, device);
            TokenSampler.ProposeGreedy(narrow, every, fromBf16, native: true);
            TokenSampler.ProposeGreedy(narrow.to(torch.ScalarType.Float32), every, fromWidened, native: true);
            bool sameBits = Same(fromBf16, fromWidened);
            Console.WriteLine($"greedy kernel on bf16 logits vs on their fp32 widening ({rows} rows x {vocab}): {(sameBits ? "same bits" : "DIFFERENT")}");
            ok &= sameBits;
        }
        return ok;
    }

    /// <summary>The SwiGLU and combine kernels against the ops: the activation bit for bit; the combine (another order of
    /// the k products than cuBLAS's) within bf16 rounding, the share of differing outputs printed.</summary>
    private static bool CheckFusedExpertOps(torch.Device device)
    {
        bool ok = true;
        const int k = 8, hidden = 2048, width = 512;
        foreach (int tokens in new[] { 32, 512 })
        {
            using var scope = torch.NewDisposeScope();
            torch.manual_seed(tokens + 7);
            var gateUp = torch.randn([tokens * k, 2 * width], torch.ScalarType.BFloat16, device).mul_(3.0);
            bool sameActivation = Same(Dllm.Native.CudaNative.SwiGlu(gateUp), SwiGluMlp.Activate(gateUp, width));
            var outputs = torch.randn([tokens * k, hidden], torch.ScalarType.BFloat16, device);
            var rowOfPair = torch.randperm(tokens * k, torch.ScalarType.Int64, device);
            var weights = torch.rand([tokens, k], torch.ScalarType.Float32, device);
            var shared = torch.randn([tokens, hidden], torch.ScalarType.BFloat16, device);
            var kernel = Dllm.Native.CudaNative.MoeCombine(outputs, rowOfPair, weights, shared);
            var ops = weights.to(torch.ScalarType.BFloat16).unsqueeze(1).bmm(outputs.index_select(0, rowOfPair).view(tokens, k, hidden))
                .view(tokens, hidden).add_(shared);
            double difference = Relative(kernel, ops);
            double differing = kernel.ne(ops).to(torch.ScalarType.Float32).mean().item<float>();
            Console.WriteLine($"SwiGLU kernel vs silu + mul_ ({tokens * k} rows): {(sameActivation ? "same" : "DIFFERENT")}; combine kernel vs index_select + bmm + add_ ({tokens} tokens x {k}): max relative difference {difference:E2} (tolerance {GemmTolerance:E0}), {differing:P2} of outputs differ");
            ok &= sameActivation && difference < GemmTolerance;
        }
        return ok;
    }

    private static bool CheckRmsNorm(torch.Device device)
    {
        using var scope = torch.NewDisposeScope();
        bool ok = true;
        // a layer norm over [T, H], and the joint q/k norm over a strided [T, heads, hd] view of a wider projection
        var wide = torch.randn([512, 24 * 128], torch.ScalarType.BFloat16, device);
        foreach (var (x, weight) in new[]
        {
            (torch.randn([512, 2048], torch.ScalarType.BFloat16, device), torch.rand([2048], torch.ScalarType.BFloat16, device)),
            (wide.narrow(1, 0, 20 * 128).view(512, 20, 128), torch.rand([20, 128], torch.ScalarType.BFloat16, device)),
        })
        {
            using var norm = new RmsNorm(weight, 1e-6);
            double difference = Relative(norm.Forward(x), norm.Forward(x, allowNative: false));
            Console.WriteLine($"RMSNorm kernel vs TorchSharp ops [{string.Join(", ", x.shape)}]: max relative difference {difference:E2}");
            ok &= difference < 1e-2;
        }
        // The residual add fused in: its sum is torch's bf16 add bit for bit, its norm the norm kernel's of that sum.
        using (torch.inference_mode())
        {
            var residual = torch.randn([512, 2048], torch.ScalarType.BFloat16, device);
            var delta = torch.randn([512, 2048], torch.ScalarType.BFloat16, device);
            using var norm = new RmsNorm(torch.rand([2048], torch.ScalarType.BFloat16, device), 1e-6);
            var (sum, normed) = norm.AddForward(residual, delta);
            bool sumExact = sum.eq(residual.add(delta)).all().item<bool>(), normExact = normed.eq(norm.Forward(residual.add(delta))).all().item<bool>();
            double difference = Relative(normed, norm.AddForward(residual, delta, allowNative: false).Normed);
            Console.WriteLine($"residual add + RMSNorm kernel [512, 2048]: sum {(sumExact ? "==" : "!=")} the bf16 add, norm {(normExact ? "==" : "!=")} "
                + $"the norm kernel's of it, max relative difference to TorchSharp ops {difference:E2} {(sumExact && normExact && difference < 1e-2 ? "PASS" : "FAIL")}");
            ok &= sumExact && normExact && difference < 1e-2;
        }
        return ok;
    }

    private static bool CheckRouter(LLaDA2Config config, torch.Device device)
    {
        using var scope = torch.NewDisposeScope();
        var loader = new WeightLoader(new RandomWeightSource(seed: 5), torch.ScalarType.BFloat16, device);
        using var router = new MoeRouter(config, config.FirstKDenseReplace, loader);
        bool ok = true, logitsKernel = MoeRouter.LogitsKernelEnabled, tensorCores = MoeRouter.TensorCoreProjectionEnabled;
        Console.WriteLine($"gate projection on tensor cores (aten::mm.dtype): {(CudaNative.ProjectsToFloat ? "available" : "NOT AVAILABLE in this libtorch")}");
        // The router kernel after cuBLAS's fp32 gate projection, with the projection's fp32 kernel, and after the projection
        // on tensor cores; at one block (32 tokens), 16 blocks and 4096 tokens (their K ranges differ).
        foreach (var (projection, withLogits, onTensorCores) in new[] { ("", false, false), (" with its gate projection", true, false), (" after the gate projection on tensor cores", false, true) })
        {
            foreach (int tokens in new[] { 32, 512, 4096 })
            {
                MoeRouter.LogitsKernelEnabled = withLogits;
                MoeRouter.TensorCoreProjectionEnabled = onTensorCores;
                var x = torch.randn([tokens, config.HiddenSize], torch.ScalarType.BFloat16, device);
                var (nativeExperts, nativeWeights) = router.Route(x);
                MoeRouter.LogitsKernelEnabled = logitsKernel;
                MoeRouter.TensorCoreProjectionEnabled = tensorCores;
                var (experts, weights) = router.Route(x, allowNative: false);
                // Same experts per token (as sets: the order of equal scores may differ), same weights for them.
                var (sortedNative, orderNative) = nativeExperts.sort(1);
                var (sorted, order) = experts.sort(1);
                var sameRow = sortedNative.eq(sorted).all(1);
                double agreeing = sameRow.to(torch.ScalarType.Float32).mean().item<float>();
                var weightDiff = nativeWeights.gather(1, orderNative).sub(weights.gather(1, order)).abs().amax(1).masked_select(sameRow);
                double maxWeightDiff = weightDiff.numel() > 0 ? weightDiff.max().item<float>() : double.NaN;
                Console.WriteLine($"router kernel{projection} vs TorchSharp ops ({tokens} tokens): same experts for {agreeing:P2} of tokens, max weight difference {maxWeightDiff:E2}");
                ok &= agreeing > 0.999 && maxWeightDiff < 1e-5;
            }
        }
        return ok;
    }

    private static double Relative(torch.Tensor a, torch.Tensor b)
    {
        using var diff = a.to(torch.ScalarType.Float32).sub(b.to(torch.ScalarType.Float32)).abs().max();
        using var scale = b.to(torch.ScalarType.Float32).abs().max();
        return diff.item<float>() / scale.item<float>();
    }
}
