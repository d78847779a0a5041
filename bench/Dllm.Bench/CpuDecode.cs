using System.Diagnostics;
using System.Text.Json;
using Dllm.Decoding;
using Dllm.Native;
using Microsoft.Extensions.Logging;

namespace Dllm.Bench;

/// <summary>One CPU decode measurement: the configuration and the median throughput of its repeats.</summary>
internal sealed record CpuDecodeRow(string WaitPolicy, int Threads, int BusyProcesses, int Concurrency, int NewTokensEach, double TokensPerSecond,
    double StepsPerSecond, double MinTokensPerSecond, double MaxTokensPerSecond, int Repeats);

/// <summary>
/// <c>--mode cpu-decode</c>: decode throughput of the CPU engine over the built-in demo model (fp32), N concurrent
/// requests of <c>--new-tokens</c> each, <c>--repeats</c> times (median), with <c>--cpu-threads</c> and the
/// <c>--omp-wait-policy</c> this process started with. Writes its rows as JSON to <c>--json</c>.
/// </summary>
internal static class CpuDecode
{
    public static async Task<int> RunAsync(BenchOptions options, TorchBackendReport backend, ILoggerFactory logging)
    {
        string model = await DemoModel.EnsureAsync(logger: logging.CreateLogger("bench.cpu"));
        await using var engine = await DllmEngine.CreateAsync(new DllmEngineOptions
        {
            ModelPath = model, Device = "cpu", DType = "float32", CpuThreads = options.CpuThreads,
            MaxRunningRequests = options.Concurrency.Max(), ContextLength = 64 + options.NewTokens + 2 * options.BlockSize,
        }, logging);
        await engine.GenerateAsync(Request(0, 32)); // warm-up
        int busy = int.Parse(Environment.GetEnvironmentVariable("DLLM_BENCH_BUSY_PROCESSES") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        var rows = new List<CpuDecodeRow>();
        foreach (int concurrency in options.Concurrency)
        {
            var runs = new List<(double Tps, double Sps)>();
            for (int r = 0; r < options.Repeats; r++)
            {
                long steps = engine.DenoisingSteps;
                var watch = Stopwatch.StartNew();
                var results = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(i => engine.GenerateAsync(Request(r * 100 + i, options.NewTokens))));
                double seconds = watch.Elapsed.TotalSeconds;
                runs.Add((results.Sum(x => x.CompletionTokens) / seconds, (engine.DenoisingSteps - steps) / seconds));
            }
            var sorted = runs.OrderBy(x => x.Tps).ToList();
            rows.Add(new CpuDecodeRow(backend.OpenMpWaitPolicy, IntraOpThreads.Current, busy, concurrency, options.NewTokens, sorted[sorted.Count / 2].Tps,
                sorted[sorted.Count / 2].Sps, sorted[0].Tps, sorted[^1].Tps, options.Repeats));
        }
        await File.WriteAllTextAsync(options.Json, JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true }));
        return 0;

        GenerateRequest Request(int seed, int newTokens)
        {
            var random = new Random(seed);
            return GenerateRequest.FromIds(Enumerable.Range(0, 32).Select(_ => random.Next(1000)).ToArray(),
                new SamplingParams { MaxNewTokens = newTokens, IgnoreEos = true });
        }
    }
}
