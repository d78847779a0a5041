using System.Diagnostics;
using System.Text.Json;
using Dllm;
using Dllm.Bench;
using Dllm.Checkpoints;
using Dllm.Model;
using Dllm.Native;
using Dllm.Runner;
using Microsoft.Extensions.Logging;
using TorchSharp;

var options = BenchOptions.Parse(args);
if (options.GemvMaxRows is double gemvMaxRows)
    GroupedMatmul.GemvMaxRowsPerGroup = gemvMaxRows;
if (options.GemvMinDepth is long gemvMinDepth)
    GroupedMatmul.GemvMinDepth = gemvMinDepth;
if (options.MmaMaxRows is double mmaMaxRows)
    GroupedMatmul.MmaMaxRowsPerGroup = mmaMaxRows;
// The engine's switches the bench can turn off for a before row (each null: the engine's default).
foreach (var (value, apply) in new (bool?, Action<bool>)[]
{
    (options.PagedAttention, on => PagedAttention.Enabled = on),
    (options.MoeAlignKernel, on => ExpertLayout.KernelEnabled = on),
    (options.PassTable, on => ExpertLayout.PassTableEnabled = on),
    (options.FusedRope, on => QkRopeStore.Enabled = on),
    (options.NativeGreedy, on => Dllm.Decoding.TokenSampler.NativeGreedyEnabled = on),
    (options.SharedOverlap, on => SharedExpertOverlap.Enabled = on),
    (options.FusedExpertOps, on => FusedExpertOps.Enabled = on),
    (options.RouterLogitsKernel, on => MoeRouter.LogitsKernelEnabled = on),
    (options.RouterTensorCores, on => MoeRouter.TensorCoreProjectionEnabled = on),
    (options.WidenKernel, on => LogitsWidening.Enabled = on),
    (options.Bf16Logits, on => LogitsProjection.KeepsModelDType = on),
    (options.PartialReload, on => BatchGeometry.PartialReloadEnabled = on),
    (options.ReloadWaitApart, on => BatchGeometry.Reloads.TimeWaitApart = on),
    (options.PinnedReload, on => StagedUploads.Enabled = on),
})
{
    if (value is bool on)
        apply(on);
}
using var logging = LoggerFactory.Create(b => b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }));
var logger = logging.CreateLogger("bench");
if (options.Mode == "cpu-contention")
    return await CpuContention.RunAsync(options, args, logger); // runs itself as child processes: no libtorch here
var backend = TorchBackend.Initialize(new TorchBackendOptions
{
    OpenMpWaitPolicy = options.OmpWaitPolicy.Equals("default", StringComparison.OrdinalIgnoreCase) ? null : options.OmpWaitPolicy,
}, logger);
if (options.Mode == "cpu-decode")
    return await CpuDecode.RunAsync(options, backend, logging);
var device = TorchDevices.Resolve(options.Device, backend);
if (options.Mode == "split-check")
    return SplitCheck.Run(options, device);
if (options.Mode == "layer-profile")
    return LayerProfile.Run(options, device);
if (options.Mode == "graph-check")
    return GraphCheck.Run(options, device, logger);
if (options.Mode == "paged-attention-check")
    return PagedAttentionCheck.Run(options, device);
if (options.Mode == "e2e")
{
    var rows = await EndToEnd.RunAsync(options, logging);
    Console.WriteLine($"device {backend.DeviceName ?? "cpu"}, shape {options.Shape}, {options.DType}, {options.PromptTokens}-token prompts after a shared prefix of {options.SharedPrefix}, {options.NewTokens} new tokens per request, {options.Turns} turn(s), prefix cache {(options.RadixCache ? "on" : "off")}, return_steps {options.ReturnSteps}, {DateTime.UtcNow:u}");
    Console.WriteLine("| model | concurrent requests | seconds | tokens/s | steps/s | ms/step | propose ms | of it: to logits | of which inputs | of it: sample + copy | resolve ms | admit ms | tokens/step/request | mean first block ms | GPU mem GB | peak K/V MB per request | cached tokens | graphs captured (ms), evicted |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    foreach (var r in rows)
        Console.WriteLine($"| {r.Model} | {r.Concurrency} | {r.Seconds:F2} | {r.TokensPerSecond:F0} | {r.StepsPerSecond:F1} | {1000 / r.StepsPerSecond:F1} | {r.ProposeMsPerStep:F1} | {r.ProposeForwardMsPerStep:F1} | {r.ProposeInputsMsPerStep:F2} | {r.ProposeSampleMsPerStep:F1} | {r.ResolveMsPerStep:F2} | {r.AdmitMsPerStep:F2} | {r.TokensPerStep:F2} | {r.MeanFirstBlockMs:F0} | {r.GpuMemoryUsedGB?.ToString("F1") ?? "-"} | {r.PeakKvMBPerRequest:F1} | {r.CachedTokens} | {r.GraphsCaptured} ({r.CaptureMs:F0}), {r.GraphsEvicted} |");
    File.WriteAllText(options.Json, JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
    return 0;
}
var dtype = options.DType switch { "bf16" => torch.ScalarType.BFloat16, "fp16" => torch.ScalarType.Float16, _ => torch.ScalarType.Float32 };
var results = new BenchResults { Device = backend.DeviceName ?? device.ToString(), Shape = options.ModelPath ?? options.Shape, DType = options.DType, Date = DateTime.UtcNow.ToString("u") };

// Load: from a checkpoint directory's safetensors (--model-path), else dummy weights drawn on the device.
var watch = Stopwatch.StartNew();
using var model = options.ModelPath is string path
    ? ModelLoader.Load(path, LoadFormat.Safetensors, dtype, device, logger)
    : LLaDA2Model.Load(LLaDA2Shapes.ByName(options.Shape), new RandomWeightSource(seed: 1), dtype, Placement(LLaDA2Shapes.ByName(options.Shape)), logger);
using var forwards = new ForwardRunner(model);
Sync(device);
results.LoadSeconds = watch.Elapsed.TotalSeconds;
results.LoadSource = options.ModelPath is null ? "dummy weights drawn on the device" : $"safetensors in {options.ModelPath}";
if (options.CudaGraphs && device.type == DeviceType.CUDA)
    logger.LogInformation("CUDA graphs: {State}", forwards.EnableCudaGraphs() ?? "on");
results.CudaGraphs = forwards.UsesCudaGraphs;
var config = model.Config;
// Weight bytes a step must read: every layer (all routed experts: the all-experts path reads each one) and
// lm_head; of the embedding table only the batch's rows.
var weights = MemoryPlan.Weights(config, bytesPerParameter: dtype == torch.ScalarType.Float32 ? 4 : 2);
long stepBytes = weights.LayerBytes.Sum() + weights.LmHead;
results.WeightBytes = stepBytes + weights.Embedding;
logger.LogInformation("Loaded {Shape} ({GB:F1} GB) in {Seconds:F1} s", options.Shape, results.WeightBytes / 1e9, results.LoadSeconds);

var random = new Random(7);
int[] RandomTokens(int n) => Enumerable.Range(0, n).Select(_ => random.Next(config.VocabSize)).ToArray();

// Whole-prompt prefill.
foreach (int length in options.Prefills)
{
    using var cache = model.CreateCache(1, length + options.BlockSize);
    int[] tokens = RandomTokens(length);
    forwards.Forward([new ForwardRequest(0, 0, tokens)], cache, options.BlockSize, writeCache: true, computeLogits: false);
    Sync(device);
    var times = new List<double>();
    int iterations = Math.Max(3, options.Iterations / 10);
    for (int i = 0; i < iterations; i++)
    {
        if (options.ProfilePrefill && i == iterations - 3)
            CudaNative.Profiler(on: true);
        watch.Restart();
        forwards.Forward([new ForwardRequest(0, 0, tokens)], cache, options.BlockSize, writeCache: true, computeLogits: false);
        Sync(device);
        times.Add(watch.Elapsed.TotalMilliseconds);
    }
    if (options.ProfilePrefill)
        CudaNative.Profiler(on: false);
    var row = new PrefillRow(length, Stats.Median(times), length / (Stats.Median(times) / 1000));
    results.Prefill.Add(row);
    logger.LogInformation("prefill {Length}: {Ms:F1} ms ({Tps:F0} tok/s)", length, row.MedianMs, row.TokensPerSecond);
}

// One denoising step: a B-token block per request over a cached prefix.
foreach (int prefix in options.Prefixes)
{
    foreach (int batch in options.Batches)
    {
        int positions = prefix + Math.Max(options.BlockSize, options.TokensPerRequest ?? 0);
        // One page per sequence, or (--page-size) the engine's layout: small pages, a sequence's scattered over the pool.
        int pageSize = options.PageSize ?? positions, pagesEach = (positions + pageSize - 1) / pageSize;
        using var cache = model.CreateCache(batch * pagesEach, pageSize);
        var shuffled = Enumerable.Range(0, batch * pagesEach).OrderBy(_ => random.Next()).ToArray();
        int[][] tables = [.. Enumerable.Range(0, batch).Select(s => shuffled[(s * pagesEach)..((s + 1) * pagesEach)])];
        for (int slot = 0; slot < batch && prefix > 0; slot++)
            forwards.Forward([new ForwardRequest(tables[slot], 0, RandomTokens(prefix))], cache, options.BlockSize, writeCache: true, computeLogits: false);
        // A step's new tokens per request: one block, or e.g. two (a fused clean pass + the next block's step).
        // The block's tokens: random ids, or (--mask-fraction) partly the mask id, as a block being denoised is; mask
        // tokens' hidden states are alike, so they route alike (the experts' rows skew).
        int[] BlockTokens(int count) => [.. RandomTokens(count).Select(t => options.MaskFraction > 0 && random.NextDouble() < options.MaskFraction ? config.MaskTokenId : t)];
        var requests = Enumerable.Range(0, batch).Select(s => new ForwardRequest(tables[s], prefix, BlockTokens(options.TokensPerRequest ?? options.BlockSize))).ToList();
        var times = new List<double>();
        int profiledFrom = options.ProfileRange ? Math.Max(3, options.Iterations) : int.MaxValue;
        for (int i = 0; i < options.Iterations + 3; i++)
        {
            if (i == profiledFrom)
                CudaNative.Profiler(on: true);
            watch.Restart();
            using var logits = forwards.Forward(requests, cache, options.BlockSize, writeCache: false, moePath: options.MoePath)!;
            // The one host read a step needs: one logit, so the step waits for the forward and nothing more (a max
            // over the logits, as here before, added a reduction the engine never runs: 73 µs at batch 16 on an H200).
            using var flat = logits.flatten();
            using var first = flat[0];
            first.ToSingle();
            if (i >= 3)
                times.Add(watch.Elapsed.TotalMilliseconds);
        }
        if (profiledFrom < options.Iterations + 3)
            CudaNative.Profiler(on: false);
        int graphsBefore = forwards.CudaGraphsCaptured;
        long tensorsBefore = TensorsCreated();
        using (var counted = forwards.Forward(requests, cache, options.BlockSize, writeCache: false, moePath: options.MoePath))
        {
        }
        // With graphs a step is a replay: count its host-side tensors, which are no launches of their own.
        long tensorsPerStep = TensorsCreated() - tensorsBefore;
        if (forwards.CudaGraphsCaptured != graphsBefore)
            throw new InvalidOperationException("the counted step captured a new graph; expected a replay");
        double median = Stats.Median(times), p90 = Stats.Percentile(times, 0.9);
        var memory = device.type == DeviceType.CUDA ? CudaDriver.MemoryInfo() : null;
        var row = new StepRow(prefix, batch, median, p90, stepBytes, stepBytes / (median / 1000) / 1e9, median / MemoryFloor.Milliseconds(results.Device, options.FloorMs),
            memory is { } m ? (m.Total - m.Free) / 1e9 : null, tensorsPerStep);
        results.Steps.Add(row);
        logger.LogInformation("step prefix {Prefix} batch {Batch}: {Median:F2} ms (p90 {P90:F2})", prefix, batch, median, p90);
    }
}

Console.WriteLine(results.ToTable());
File.WriteAllText(options.Json, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
return 0;

// Tensors TorchSharp created on this thread: every op result (and view) is one, so the delta over a forward
// counts the P/Invoke calls that return tensors (an upper bound on kernel launches).
static long TensorsCreated()
{
    var stats = DisposeScopeManager.Statistics.TensorStatistics;
    return stats.CreatedInScopeCount + stats.CreatedOutsideScopeCount;
}

ModelPlacement Placement(LLaDA2Config shape) => options.DeviceMap is string map ? ModelPlacement.Parse(shape, map) : options.Gpus > 1
    ? ModelPlacement.Balanced(shape, Enumerable.Range(0, options.Gpus).Select(i => new torch.Device(DeviceType.CUDA, i)).ToList())
    : ModelPlacement.Single(shape, device);

static void Sync(torch.Device device)
{
    if (device.type == DeviceType.CUDA)
        torch.cuda.synchronize(device);
}
