using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Dllm.Diagnostics;

/// <summary>
/// The engine's meter, activity source and instruments (process-wide, as <see cref="Meter"/>s are meant to be); the
/// gauges observe every live engine, one measurement each, tagged with its model.
/// </summary>
internal static class EngineInstruments
{
    private static readonly ConcurrentDictionary<EngineTelemetry, byte> Live = new();

    public static readonly ActivitySource Source = new(DllmEngineTelemetry.ActivitySourceName, typeof(EngineInstruments).Assembly.GetName().Version?.ToString());

    public static readonly Meter Meter = new(DllmEngineTelemetry.MeterName, typeof(EngineInstruments).Assembly.GetName().Version?.ToString());

    public static readonly Histogram<double> RequestDuration = Meter.CreateHistogram(DllmEngineTelemetry.RequestDuration, "s",
        "Time from a request's submission to its end.", advice: Buckets([0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]));

    public static readonly Histogram<double> TimeToFirstToken = Meter.CreateHistogram(DllmEngineTelemetry.TimeToFirstToken, "s",
        "Time from a request's submission to its first resolved block.", advice: Buckets([0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]));

    public static readonly Histogram<double> TimePerOutputToken = Meter.CreateHistogram(DllmEngineTelemetry.TimePerOutputToken, "s",
        "Time per output token after the first block.", advice: Buckets([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5]));

    public static readonly Histogram<long> TokenUsage = Meter.CreateHistogram(DllmEngineTelemetry.TokenUsage, "{token}",
        "Prompt (input) and generated (output) tokens per request.", advice: Buckets([1L, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576]));

    public static readonly Counter<long> Requests = Meter.CreateCounter<long>(DllmEngineTelemetry.Requests, "{request}", "Finished requests, by finish reason.");

    public static readonly Histogram<int> StepsPerBlock = Meter.CreateHistogram(DllmEngineTelemetry.StepsPerBlock, "{step}",
        "Denoising steps a block took to resolve.", advice: Buckets([1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 128]));

    public static readonly Histogram<int> TokensPerStep = Meter.CreateHistogram(DllmEngineTelemetry.TokensPerStep, "{token}",
        "Tokens one denoising step committed into one request's block.", advice: Buckets([0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64]));

    static EngineInstruments()
    {
        Meter.CreateObservableCounter(DllmEngineTelemetry.DenoisingSteps, () => Observe(e => e.DenoisingSteps()), "{step}", "Denoising forwards run.");
        Meter.CreateObservableGauge(DllmEngineTelemetry.RunningRequests, () => Observe(e => e.Running()), "{request}", "Requests being decoded.");
        Meter.CreateObservableGauge(DllmEngineTelemetry.WaitingRequests, () => Observe(e => e.Waiting()), "{request}", "Requests waiting for a K/V slot.");
        Meter.CreateObservableGauge(DllmEngineTelemetry.KvSlotsUsed, () => Observe(e => e.SlotsUsed()), "{slot}", "K/V cache slots in use.");
        Meter.CreateObservableGauge(DllmEngineTelemetry.KvSlotsLimit, () => Observe(e => e.SlotLimit), "{slot}", "K/V cache slots in all.");
        Meter.CreateObservableGauge(DllmEngineTelemetry.KvPagesUsed, () => Observe(e => e.KvCache()?.PagesInUse ?? 0), "{page}", "K/V pool pages referenced by running requests.");
        Meter.CreateObservableGauge(DllmEngineTelemetry.KvPagesFree, () => Observe(e => e.KvCache()?.PagesFree ?? 0), "{page}", "K/V pool pages neither referenced nor cached.");
        Meter.CreateObservableGauge(DllmEngineTelemetry.KvPagesCached, () => Observe(e => e.KvCache()?.PagesCached ?? 0), "{page}", "K/V pool pages in the prefix cache.");
        Meter.CreateObservableGauge(DllmEngineTelemetry.KvPagesLimit, () => Observe(e => e.KvCache()?.TotalPages ?? 0), "{page}", "K/V pool pages in all.");
        Meter.CreateObservableCounter(DllmEngineTelemetry.PrefixCacheHits, () => Observe(e => e.KvCache()?.CacheHitRequests ?? 0), "{request}", "Requests that reused cached prompt blocks.");
        Meter.CreateObservableCounter(DllmEngineTelemetry.PrefixCacheTokens, () => Observe(e => e.KvCache()?.CachedTokens ?? 0), "{token}", "Prompt tokens whose K/V came from the prefix cache.");
        Meter.CreateObservableCounter(DllmEngineTelemetry.CudaGraphCaptures, () => Observe(e => e.CudaGraphs()?.Captured ?? 0), "{graph}", "CUDA graphs captured (each stalls its step; evicted ones are captured again).");
        Meter.CreateObservableCounter(DllmEngineTelemetry.CudaGraphEvictions, () => Observe(e => e.CudaGraphs()?.Evicted ?? 0), "{graph}", "CUDA graphs freed to stay within the number kept.");
        Meter.CreateObservableCounter(DllmEngineTelemetry.KvRetractions, () => Observe(e => e.KvCache()?.Retractions ?? 0), "{request}", "Running requests retracted for another request's next K/V page.");
    }

    /// <summary>Makes <paramref name="engine"/>'s gauges observable until <see cref="Remove"/>.</summary>
    public static void Add(EngineTelemetry engine) => Live.TryAdd(engine, 0);

    public static void Remove(EngineTelemetry engine) => Live.TryRemove(engine, out _);

    private static IEnumerable<Measurement<long>> Observe(Func<EngineTelemetry, long> read) =>
        [.. Live.Keys.Select(e => new Measurement<long>(read(e), e.ModelTag))];

    private static InstrumentAdvice<T> Buckets<T>(T[] boundaries) where T : struct => new() { HistogramBucketBoundaries = boundaries };
}
