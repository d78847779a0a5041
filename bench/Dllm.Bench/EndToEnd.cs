using System.Diagnostics;
using Dllm.Decoding;
using Dllm.Model;
using Dllm.Native;
using Dllm.Tokenization;
using Microsoft.Extensions.Logging;

namespace Dllm.Bench;

/// <summary>One end-to-end generation measurement.</summary>
internal sealed record EndToEndRow(string Model, int Concurrency, int NewTokensEach, double Seconds, double TokensPerSecond, double StepsPerSecond,
    double TokensPerStep, double MeanFirstBlockMs, double? GpuMemoryUsedGB, long CachedTokens, double ProposeMsPerStep, double ResolveMsPerStep,
    double AdmitMsPerStep, double PeakKvMBPerRequest, int GraphsCaptured, double CaptureMs, double ProposeForwardMsPerStep, double ProposeSampleMsPerStep,
    int GraphsEvicted, double ProposeInputsMsPerStep);

/// <summary>
/// Whole requests through <see cref="DllmEngine"/> (scheduler, batching, sampling, streaming): N concurrent
/// requests of <c>--new-tokens</c> tokens each, on a dummy-weight model of the chosen shape, random and peaked. Every
/// request has a prompt of its own (<c>--prompt-tokens</c>, 64 by default, never seen before, so the prefix cache finds
/// nothing), after <c>--shared-prefix</c> tokens that all prompts share (a system prompt: the prefix cache's case); with
/// <c>--return-steps true</c> every request asks for per-step records; with <c>--arrival-ms X</c> request i arrives i·X ms
/// after the first (its first block is timed from its arrival).
/// </summary>
internal static class EndToEnd
{
    public static async Task<List<EndToEndRow>> RunAsync(BenchOptions options, ILoggerFactory logging)
    {
        var logger = logging.CreateLogger("bench.e2e");
        string dir = Path.Combine(Path.GetTempPath(), $"dllm-bench-{options.Shape}");
        Directory.CreateDirectory(dir);
        var tokenizer = SyntheticTokenizerJson.WriteTo(dir, SyntheticTokenizerLayout.Realistic);
        var config = LLaDA2Shapes.ByName(options.Shape) with
        {
            VocabSize = tokenizer.ModelVocabularySize, MaskTokenId = tokenizer.MaskTokenId, EosTokenId = tokenizer.EosTokenId, PadTokenId = tokenizer.EosTokenId,
        };
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJson());
        var rows = new List<EndToEndRow>();
        // K/V bytes one position holds: K and V of every layer.
        double kvBytesPerToken = config.NumHiddenLayers * MemoryPlan.KvCacheBytesPerLayer(config, 1, 1, options.DType == "bf16" ? 2 : 4);
        int peakPages = 0;
        foreach (var (name, sharpness) in new[] { ("random", 1.0), ("peaked", options.PeakedSharpness) })
        {
            await using var engine = await DllmEngine.CreateAsync(new DllmEngineOptions
            {
                ModelPath = dir, LoadFormat = LoadFormat.Dummy, Device = options.Device, DType = options.DType == "bf16" ? "bfloat16" : "float32",
                MaxRunningRequests = options.Concurrency.Max(), ContextLength = options.SharedPrefix + options.PromptTokens + options.Turns * (options.NewTokens + 16) + 2 * options.BlockSize,
                DisableRadixCache = !options.RadixCache,
                AlgorithmSettings = new Dictionary<string, double> { [AlgorithmConfigKeys.BlockSize.Name] = options.BlockSize }, DummyLogitSharpness = sharpness,
                Gpus = options.Gpus, FuseCleanPass = options.FuseCleanPass, CudaGraphs = options.CudaGraphs,
                CudaGraphBatchSizes = options.CudaGraphEverySize ? [.. Enumerable.Range(1, options.Concurrency.Max())] : options.CudaGraphBatchSizes,
                CudaGraphPadding = options.CudaGraphPadding,
            }, logging);
            engine.SyncProfile = options.SyncProfile;
            await engine.GenerateAsync(Request(0, 32)); // warm-up (it also caches the shared prefix)
            foreach (int concurrency in options.Concurrency)
            {
                if (options.WarmPass)
                    await RunAsync(engine, concurrency, seedBase: 1_000_000 + concurrency * 1000, new double[concurrency], Stopwatch.StartNew());
                long stepsBefore = engine.DenoisingSteps, cachedBefore = engine.KvCacheStats.CachedTokens;
                var profileBefore = engine.IterationProfile;
                var capturesBefore = engine.CudaGraphStats;
                var proposeBefore = engine.ProposeProfile;
                var reloadsBefore = Enum.GetValues<Runner.ReloadKind>().Select(Runner.BatchGeometry.Reloads.Of).ToArray();
                var firstBlock = new double[concurrency];
                var watch = Stopwatch.StartNew();
                peakPages = 0;
                int total = await RunAsync(engine, concurrency, seedBase: concurrency * 1000 + 1, firstBlock, watch);
                double seconds = watch.Elapsed.TotalSeconds;
                long steps = engine.DenoisingSteps - stepsBefore;
                var profile = engine.IterationProfile - profileBefore;
                var propose = engine.ProposeProfile - proposeBefore;
                double PerStep(TimeSpan t) => t.TotalMilliseconds / Math.Max(1, profile.Steps);
                var memory = engine.Device.type == TorchSharp.DeviceType.CUDA ? CudaDriver.MemoryInfo() : null;
                var captures = engine.CudaGraphStats;
                var row = new EndToEndRow(name, concurrency, options.NewTokens, seconds, total / seconds, steps / seconds, (double)total / steps / concurrency,
                    firstBlock.Average(), memory is { } m ? (m.Total - m.Free) / 1e9 : null, engine.KvCacheStats.CachedTokens - cachedBefore,
                    PerStep(profile.Step), PerStep(profile.Resolve), PerStep(profile.Admit),
                    (double)peakPages * engine.KvCacheStats.PageSize * kvBytesPerToken / concurrency / 1e6,
                    captures.Captured - capturesBefore.Captured, (captures.CaptureTime - capturesBefore.CaptureTime).TotalMilliseconds,
                    PerStep(propose.Forward), PerStep(propose.Sample), captures.Evicted - capturesBefore.Evicted, PerStep(propose.Inputs));
                rows.Add(row);
                foreach (var kind in Enum.GetValues<Runner.ReloadKind>())
                {
                    var (count, time) = Runner.BatchGeometry.Reloads.Of(kind);
                    long n = count - reloadsBefore[(int)kind].Count;
                    logger.LogInformation("{Model} x{Concurrency}: {Count} reloads of {Kind}, {Ms:F3} ms each", name, concurrency, n, kind,
                        n == 0 ? 0 : (time - reloadsBefore[(int)kind].Time).TotalMilliseconds / n);
                }
                logger.LogInformation("{Model} x{Concurrency}: {Tps:F0} tok/s, {Sps:F1} steps/s, {Tpsr:F2} tokens/step/request", name, concurrency, row.TokensPerSecond, row.StepsPerSecond, row.TokensPerStep);
            }
        }
        return rows;

        // N concurrent conversations of distinct prompts (seeds seedBase + i), each of --turns turns: a turn's prompt is
        // the previous turn's prompt and answer plus 16 new tokens (a chat's next message). The time of each
        // conversation's first block is noted (the first turn's).
        async Task<int> RunAsync(DllmEngine engine, int concurrency, int seedBase, double[] firstBlock, Stopwatch watch)
        {
            var tasks = Enumerable.Range(0, concurrency).Select(async i =>
            {
                // --arrival-ms: request i arrives i times that late, so the requests' blocks do not all end on one step.
                if (options.ArrivalMs > 0)
                    await Task.Delay(TimeSpan.FromMilliseconds(i * options.ArrivalMs));
                double arrived = watch.Elapsed.TotalMilliseconds;
                int total = 0;
                var random = new Random(seedBase + i);
                var request = Request(seedBase + i, options.NewTokens);
                for (int turn = 0; turn < options.Turns; turn++)
                {
                    IReadOnlyList<int> output = [];
                    await foreach (var update in engine.GenerateStreamingAsync(request))
                    {
                        if (turn == 0 && output.Count == 0)
                            firstBlock[i] = watch.Elapsed.TotalMilliseconds - arrived;
                        output = update.OutputIds;
                        int inUse = engine.KvCacheStats.PagesInUse, seen;
                        while (inUse > (seen = Volatile.Read(ref peakPages)) && Interlocked.CompareExchange(ref peakPages, inUse, seen) != seen)
                        {
                        }
                    }
                    total += output.Count;
                    request = request with { InputIds = [.. request.InputIds!, .. output, .. Enumerable.Range(0, 16).Select(_ => random.Next(50000))] };
                }
                return total;
            }).ToList();
            return (await Task.WhenAll(tasks)).Sum();
        }

        GenerateRequest Request(int seed, int newTokens)
        {
            var shared = new Random(-1);
            var random = new Random(seed);
            int[] prompt = [.. Enumerable.Range(0, options.SharedPrefix).Select(_ => shared.Next(50000)), .. Enumerable.Range(0, options.PromptTokens).Select(_ => random.Next(50000))];
            return GenerateRequest.FromIds(prompt, new SamplingParams { MaxNewTokens = newTokens, IgnoreEos = true }) with { ReturnSteps = options.ReturnSteps };
        }
    }
}
