using System.Collections.Concurrent;
using Dllm.Decoding;
using Dllm.Model;
using Dllm.Testing;
using Microsoft.Extensions.Logging;

namespace Dllm.Tests.Engine;

/// <summary>Admission by K/V pages: requests that do not fit the pool wait, never fail; one larger than the whole pool
/// is refused at Prepare; every way a request ends gives its pages back.</summary>
public class PagedAdmissionTests
{
    private const int Block = 32;

    /// <summary>A logger factory over one provider (every level).</summary>
    private sealed class Logging(ILoggerProvider provider) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => provider.CreateLogger(categoryName);

        public void AddProvider(ILoggerProvider other) => throw new NotSupportedException();

        public void Dispose()
        {
        }
    }

    /// <summary>The output tokens a retraction log line says were kept, or -1 for another line.</summary>
    private static int KeptTokens(string message) =>
        System.Text.RegularExpressions.Regex.Match(message, @" retracted to give request .*, (\d+) output tokens kept") is { Success: true } m
            ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)
            : -1;

    private static int[] Ids(int count, Random random) => Enumerable.Range(0, count).Select(_ => random.Next(100, 1500)).ToArray();

    [Fact]
    public async Task A_pool_of_four_pages_admits_four_requests_by_their_first_block_and_completes_six_by_retracting()
    {
        using var logs = new CollectingLoggerProvider();
        using var logging = new Logging(logs);
        await using var engine = await DllmEngine.CreateAsync(TestEngines.Options(TinyModels.Random) with { MaxTotalTokens = 4 * Block }, logging);
        int mostAtOnce = 0;
        engine.FaultInjection = (kind, ids) =>
        {
            if (kind == "step")
                mostAtOnce = Math.Max(mostAtOnce, ids.Count);
        };
        var random = new Random(3);
        // 20 + 40 tokens: 64 positions, two pages each; the full-budget rule would run two at a time.
        var requests = Enumerable.Range(0, 6).Select(i => GenerateRequest.FromIds(Ids(20, random), new SamplingParams { MaxNewTokens = 40, IgnoreEos = true })).ToList();

        var results = await engine.GenerateAsync(requests);

        Assert.All(results, r => Assert.Equal(40, r.CompletionTokens));
        Assert.Equal(4, mostAtOnce); // one page each at admission
        Assert.Equal(4, engine.KvCacheStats.TotalPages);
        Assert.Equal(4 * Block, engine.MaxTotalTokens);
        Assert.Equal(0, engine.KvCacheStats.PagesInUse);
        Assert.Empty(engine.AuditPages());
        Assert.True(engine.KvCacheStats.Retractions >= 1, $"{engine.KvCacheStats.Retractions} retractions");
        var waits = logs.Entries.Where(e => e.Message.Contains("waits for 1 K/V pages", StringComparison.Ordinal)).ToList();
        Assert.InRange(waits.Count, 1, 6); // once per request that waited at the head of the queue
        Assert.All(waits, e => Assert.Equal(("Dllm.Scheduler", LogLevel.Debug), (e.Category, e.Level)));
        var retractions = logs.Entries.Where(e => e.Message.Contains(" retracted to give request ", StringComparison.Ordinal)).ToList();
        Assert.Equal(engine.KvCacheStats.Retractions, retractions.Count);
        Assert.All(retractions, e => Assert.Equal(("Dllm.Scheduler", LogLevel.Information), (e.Category, e.Level)));
    }

    [Fact]
    public async Task Requests_until_the_context_end_on_a_pool_too_small_for_all_their_budgets_run_together_retract_and_match_solo_runs()
    {
        // Context 192: a prompt of 10 to 30 tokens until the context end may write 160 positions, 5 pages; the pool holds
        // 8, so reserving budgets at admission would run one at a time. First blocks of different lengths: out of step.
        const int context = 6 * Block;
        var random = new Random(11);
        var prompts = Enumerable.Range(0, 5).Select(i => Ids(10 + 5 * i, random)).ToList();
        GenerateRequest Request(int i) => GenerateRequest.FromIds(prompts[i], new SamplingParams { IgnoreEos = true }) with { UntilContextEnd = true };
        var solo = new List<IReadOnlyList<int>>();
        await using (var big = await DllmEngine.CreateAsync(TestEngines.Options(TinyModels.Random) with { ContextLength = context }))
        {
            for (int i = 0; i < prompts.Count; i++)
                solo.Add((await big.GenerateAsync(Request(i))).OutputIds);
        }
        using var logs = new CollectingLoggerProvider();
        using var logging = new Logging(logs);
        await using var engine = await DllmEngine.CreateAsync(TestEngines.Options(TinyModels.Random) with { ContextLength = context, MaxTotalTokens = 8 * Block }, logging);
        int mostAtOnce = 0;
        engine.FaultInjection = (kind, ids) =>
        {
            if (kind == "step")
                mostAtOnce = Math.Max(mostAtOnce, ids.Count);
        };

        var results = await engine.GenerateAsync(Enumerable.Range(0, prompts.Count).Select(Request).ToList());

        var stats = engine.KvCacheStats;
        for (int i = 0; i < prompts.Count; i++)
        {
            Assert.Equal(context - prompts[i].Length - Block, solo[i].Count);
            Assert.Equal(solo[i], results[i].OutputIds);
        }
        Assert.Equal(5, mostAtOnce); // all five at once, against one by their whole budgets
        Assert.True(stats.Retractions >= 1, $"{stats.Retractions} retractions");
        Assert.Contains(logs.Entries, e => KeptTokens(e.Message) > 0); // one resumed after resolved blocks (prefilled its output)
        Assert.Equal(5, stats.Requests); // a re-admission is no new request
        Assert.Equal(0, stats.PagesInUse);
        Assert.Equal(stats.TotalPages, stats.PagesFree + stats.PagesEvictable);
        Assert.Empty(engine.AuditPages());
        Assert.Equal(engine.MaxRunningRequests, engine.FreeSlots);
    }

    [Fact]
    public async Task Seeded_requests_that_return_their_steps_keep_their_output_and_steps_when_retracted()
    {
        const int context = 6 * Block;
        var random = new Random(5);
        var prompts = Enumerable.Range(0, 4).Select(i => Ids(10 + 13 * i, random)).ToList(); // first blocks of different lengths: out of step
        GenerateRequest Request(int i) => GenerateRequest.FromIds(prompts[i], new SamplingParams { IgnoreEos = true, Temperature = 1.0, Seed = 100 + i })
            with { UntilContextEnd = true, ReturnSteps = true };
        var solo = new List<List<string>>();
        await using (var big = await DllmEngine.CreateAsync(TestEngines.Options(TinyModels.Random) with { ContextLength = context }))
        {
            for (int i = 0; i < prompts.Count; i++)
                solo.Add(await StreamAsync(big, Request(i)));
        }
        await using var engine = await DllmEngine.CreateAsync(TestEngines.Options(TinyModels.Random) with { ContextLength = context, MaxTotalTokens = 6 * Block });

        var results = await Task.WhenAll(Enumerable.Range(0, prompts.Count).Select(i => StreamAsync(engine, Request(i))));

        Assert.True(engine.KvCacheStats.Retractions >= 1, $"{engine.KvCacheStats.Retractions} retractions");
        for (int i = 0; i < prompts.Count; i++)
            Assert.Equal(solo[i], results[i]);
        Assert.Empty(engine.AuditPages());
        Assert.Equal(0, engine.KvCacheStats.PagesInUse);
    }

    /// <summary>Every update of a stream as text: its new ids, its step count and the steps it carries.</summary>
    private static async Task<List<string>> StreamAsync(DllmEngine engine, GenerateRequest request)
    {
        var updates = new List<string>();
        await foreach (var update in engine.GenerateStreamingAsync(request))
            updates.Add($"{string.Join(',', update.NewIds)} after {update.DenoisingSteps} steps: {string.Join(' ', Describe(update.Steps ?? []))}");
        Assert.True(updates.Count >= 4, $"{updates.Count} updates");
        return updates;
    }

    private static List<string> Describe(IReadOnlyList<DenoisingStep> steps) =>
        steps.Select(s => $"{s.Step}:{string.Join(',', s.Committed.Select(t => $"{t.Position}={t.TokenId}"))}|{string.Join(',', s.Edited.Select(t => $"{t.Position}={t.TokenId}"))}|{s.MasksLeft}").ToList();

    [Fact]
    public async Task A_request_larger_than_the_whole_pool_is_refused_at_Prepare_naming_max_total_tokens()
    {
        await using var engine = await DllmEngine.CreateAsync(TestEngines.Options(TinyModels.Random) with { MaxTotalTokens = 2 * Block - 5 });

        var error = Assert.Throws<ArgumentException>(() => engine.Prepare(GenerateRequest.FromIds(Ids(20, new Random(1)), new SamplingParams { MaxNewTokens = 60 })));
        var fits = await engine.GenerateAsync(GenerateRequest.FromIds(Ids(20, new Random(2)), new SamplingParams { MaxNewTokens = 44, IgnoreEos = true }));

        Assert.Equal("max_new_tokens", error.ParamName);
        Assert.Contains("need 3 K/V pages of 32 tokens, but the pool holds 2 (64 tokens)", error.Message);
        Assert.Contains("--max-total-tokens", error.Message);
        Assert.Equal(44, fits.CompletionTokens);
    }

    [Fact]
    public void Pool_options_out_of_range_are_named_by_the_validator()
    {
        var options = TestEngines.Options(TinyModels.Random) with { MaxTotalTokens = 0, MemFractionStatic = 1 };

        var errors = DllmEngineOptionsValidator.Validate(options);
        var flagged = DllmEngineOptionsValidator.Validate(options with { MaxTotalTokens = 64, MemFractionStatic = -0.5 }, p => p == "MemFractionStatic" ? "--mem-fraction-static" : p);

        Assert.Contains("MaxTotalTokens must be at least 1 (got 0).", errors);
        Assert.Contains("MemFractionStatic must be between 0 and 1, exclusive (got 1).", errors);
        Assert.Equal(["--mem-fraction-static must be between 0 and 1, exclusive (got -0.5)."], flagged);
        Assert.Empty(DllmEngineOptionsValidator.Validate(options with { MaxTotalTokens = 64, MemFractionStatic = 0.85 }));
    }

    [Fact]
    public void The_memory_fraction_leaves_the_K_V_pool_what_is_free_less_the_rest_of_each_device()
    {
        var config = LLaDA2Shapes.Tiny(layers: 4);
        var placement = ModelPlacement.Single(config, TorchSharp.torch.CPU);
        long pageBytes = 2L * Block * config.NumKeyValueHeads * config.HeadDim * 2 * 4; // K and V, bf16, 4 layers

        long pages = MemoryPlan.KvPagesForFraction(config, placement, 0.9, [(Free: 10_000_000, Total: 16_000_000)], Block, bytesPerElement: 2);
        long none = MemoryPlan.KvPagesForFraction(config, placement, 0.3, [(Free: 10_000_000, Total: 16_000_000)], Block, bytesPerElement: 2);

        Assert.Equal((10_000_000 - 1_600_000) / pageBytes, pages);
        Assert.Equal(0, none); // 70 % of 16 MB must stay free, only 10 MB are
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // steps fused with placeholders, as under CUDA graphs: short prompt tails are deferred to the first step
    public async Task Two_hundred_requests_that_share_prefixes_outgrow_the_pool_and_are_cancelled_aborted_or_failed_at_random_leak_no_page(bool placeholders)
    {
        // 12 pages: six requests of up to 8 pages each outgrow it together, so some are retracted (and may then be
        // cancelled, time out, abort or fail while waiting or at their re-admission's prefill).
        await using var engine = await DllmEngine.CreateAsync(TestEngines.Options(TinyModels.Peaked, maxRunningRequests: 6) with { MaxTotalTokens = 12 * Block });
        engine.PlaceholderFusion = placeholders;
        engine.FaultInjection = (kind, ids) =>
        {
            foreach (string id in ids)
            {
                if (id.StartsWith($"fail-{kind}-", StringComparison.Ordinal))
                    throw new InvalidOperationException($"injected {kind} failure");
            }
        };
        var random = new Random(17);
        int[][] systems = [Ids(70, random), Ids(40, random), Ids(100, random), Ids(64, random)];
        string[] failures = ["prefill", "step", "clean", "sample"];
        var outcomes = new ConcurrentDictionary<string, int>();
        var tasks = new List<Task>();
        for (int i = 0; i < 200; i++)
        {
            int[] prompt = [.. systems[random.Next(systems.Length)], .. Ids(random.Next(0, 40), random)];
            int kind = random.Next(10);
            string id = kind == 0 ? $"fail-{failures[random.Next(failures.Length)]}-{i}" : $"r{i}";
            var sampling = new SamplingParams { MaxNewTokens = random.Next(1, 90), IgnoreEos = true };
            var request = GenerateRequest.FromIds(prompt, sampling) with
            {
                RequestId = id,
                Timeout = kind == 1 ? TimeSpan.FromMilliseconds(random.Next(1, 30)) : null,
            };
            var cancel = kind == 2 ? new CancellationTokenSource(random.Next(0, 40)) : null;
            int abortAfter = kind == 3 ? random.Next(0, 40) : -1;
            tasks.Add(Task.Run(async () =>
            {
                string outcome;
                try
                {
                    var run = engine.GenerateAsync(request, cancel?.Token ?? default);
                    if (abortAfter >= 0)
                    {
                        await Task.Delay(abortAfter);
                        engine.Abort(id, "aborted by the test");
                    }
                    outcome = (await run).FinishReason.Type;
                }
                catch (OperationCanceledException)
                {
                    outcome = "cancelled";
                }
                catch (DllmGenerationException)
                {
                    outcome = "failed";
                }
                finally
                {
                    cancel?.Dispose();
                }
                outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);
            }));
        }
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromMinutes(2)); // a leaked page would leave requests waiting for ever
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (engine.RunningRequests + engine.WaitingRequests > 0 && DateTime.UtcNow < deadline)
            await Task.Delay(10);

        var stats = engine.KvCacheStats;
        Assert.Equal(200, outcomes.Values.Sum());
        Assert.True(outcomes.GetValueOrDefault("length") > 100, string.Join(", ", outcomes));
        Assert.True(outcomes.GetValueOrDefault("failed") > 5, string.Join(", ", outcomes));
        Assert.True(outcomes.GetValueOrDefault("abort") + outcomes.GetValueOrDefault("cancelled") > 5, string.Join(", ", outcomes));
        Assert.Empty(engine.AuditPages());
        Assert.Equal(0, stats.PagesInUse);
        Assert.Equal(stats.TotalPages, stats.PagesFree + stats.PagesEvictable);
        Assert.Equal(stats.PagesCached, stats.PagesEvictable);
        Assert.True(stats.CacheHitRequests > 50, $"{stats.CacheHitRequests} cache hits");
        Assert.True(stats.Retractions > 0, $"{stats.Retractions} retractions");
        Assert.Equal(engine.MaxRunningRequests, engine.FreeSlots);
    }
}
