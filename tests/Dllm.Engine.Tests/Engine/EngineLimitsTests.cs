using System.Collections.Concurrent;
using Dllm.Decoding;
using Dllm.Testing;

namespace Dllm.Tests.Engine;

/// <summary>The waiting queue's limit, its fairness across groups, per-request deadlines, and the cheap prompt-length checks.</summary>
public class EngineLimitsTests
{
    private static SamplingParams Tokens(int maxNewTokens) => new() { MaxNewTokens = maxNewTokens, IgnoreEos = true };

    /// <summary>Slows every forward that includes <paramref name="id"/> by <paramref name="delay"/> (so it occupies its slot long enough).</summary>
    private static Action<string, IReadOnlyList<string>> Slow(string id, TimeSpan delay) => (_, ids) =>
    {
        if (ids.Contains(id))
            Thread.Sleep(delay);
    };

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the engine");
            await Task.Delay(5);
        }
    }

    [Fact]
    public async Task A_full_waiting_queue_refuses_the_next_request_and_nothing_of_it_runs()
    {
        await using var engine = await DllmEngine.CreateAsync(TestEngines.Options(TinyModels.Random, maxRunningRequests: 1) with { MaxQueuedRequests = 2 });
        engine.FaultInjection = Slow("busy", TimeSpan.FromMilliseconds(20));
        using var stop = new CancellationTokenSource();
        var busy = engine.GenerateAsync(GenerateRequest.FromText("busy", Tokens(900)) with { RequestId = "busy" }, stop.Token);
        await WaitUntilAsync(() => engine.RunningRequests == 1);
        var waiting = Enumerable.Range(0, 2).Select(i => engine.GenerateAsync(GenerateRequest.FromText($"waiting {i}", Tokens(4)), stop.Token)).ToList();

        var error = await Assert.ThrowsAsync<DllmQueueFullException>(() => engine.GenerateAsync(GenerateRequest.FromText("one too many", Tokens(4)) with { RequestId = "refused" }));

        Assert.Equal(2, error.MaxQueuedRequests);
        Assert.Contains("waiting queue is full", error.Message);
        Assert.Equal(2, engine.WaitingRequests);
        Assert.False(engine.Abort("refused"), "a refused request must not stay registered");
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Task.WhenAll(waiting.Prepend(busy)));
        Assert.Equal(0, engine.WaitingRequests + engine.RunningRequests);
    }

    [Fact]
    public async Task A_queue_limit_below_one_is_refused_at_creation()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => DllmEngine.CreateAsync(TestEngines.Options(TinyModels.Random) with { MaxQueuedRequests = 0 }));

        Assert.Contains("MaxQueuedRequests must be at least 1 (got 0).", error.Message);
    }

    [Fact]
    public async Task Running_requests_whose_contexts_come_to_more_pages_than_a_pool_counts_are_refused_at_creation()
    {
        // 20,000,000 contexts of 4,096 tokens: 2,560,000,000 pages of 32, past int.MaxValue (it used to wrap around).
        var error = await Assert.ThrowsAsync<ArgumentException>(() => DllmEngine.CreateAsync(TestEngines.Options(TinyModels.Random, maxRunningRequests: 20_000_000) with { ContextLength = 4096 }));

        Assert.StartsWith("MaxRunningRequests 20000000 x a 4096-token context is 2560000000 K/V pages, more than a pool can count; lower it (--max-running-requests) or size the pool by --max-total-tokens or --mem-fraction-static.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_prefill_token_limit_below_one_is_refused_at_creation()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => DllmEngine.CreateAsync(TestEngines.Options(TinyModels.Random) with { MaxPrefillTokens = 0 }));

        Assert.Contains("MaxPrefillTokens must be at least 1 (got 0).", error.Message);
    }

    [Fact]
    public async Task A_single_prompt_queued_after_a_large_batch_is_admitted_within_the_first_admissions()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Peaked, maxRunningRequests: 1);
        var admitted = new ConcurrentQueue<string>();
        engine.FaultInjection = (kind, ids) =>
        {
            if (kind == "prefill")
                admitted.Enqueue(ids[0]);
        };

        var batch = Enumerable.Range(0, 40)
            .Select(i => engine.GenerateAsync(GenerateRequest.FromText($"batch prompt {i}", Tokens(2)) with { RequestId = $"batch-{i}", QueueGroup = "big" }))
            .ToList();
        var single = await engine.GenerateAsync(GenerateRequest.FromText("the single one", Tokens(2)) with { RequestId = "single" });
        await Task.WhenAll(batch);

        var order = admitted.ToList();
        Assert.Equal(41, order.Count);
        Assert.InRange(order.IndexOf("single"), 0, 2);
        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"batch-{i}"), order.Where(id => id != "single"));
        Assert.Equal(2, single.CompletionTokens);
    }

    [Fact]
    public async Task A_running_request_past_its_deadline_ends_with_abort_and_its_output_so_far()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random, maxRunningRequests: 1);
        engine.FaultInjection = Slow("late", TimeSpan.FromMilliseconds(10));

        var result = await engine.GenerateAsync(GenerateRequest.FromText("late", Tokens(900)) with { RequestId = "late", Timeout = TimeSpan.FromMilliseconds(300) });
        var next = await engine.GenerateAsync(GenerateRequest.FromText("next", Tokens(3)));

        Assert.Equal(FinishKind.Abort, result.FinishReason.Kind);
        Assert.Equal("deadline of 0.3 s exceeded", result.FinishReason.Message);
        Assert.InRange(result.CompletionTokens, 0, 899);
        Assert.InRange(result.Latency, TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(15));
        Assert.Equal(3, next.CompletionTokens);
    }

    [Fact]
    public async Task A_waiting_request_past_its_deadline_ends_with_abort_while_the_slot_stays_busy()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random, maxRunningRequests: 1);
        engine.FaultInjection = Slow("busy", TimeSpan.FromMilliseconds(20));
        using var stop = new CancellationTokenSource();
        var busy = engine.GenerateAsync(GenerateRequest.FromText("busy", Tokens(900)) with { RequestId = "busy" }, stop.Token);
        await WaitUntilAsync(() => engine.RunningRequests == 1);

        var waited = await engine.GenerateAsync(GenerateRequest.FromText("waits", Tokens(4)) with { Timeout = TimeSpan.FromMilliseconds(200) });

        Assert.Equal(FinishKind.Abort, waited.FinishReason.Kind);
        Assert.Equal("deadline of 0.2 s exceeded", waited.FinishReason.Message);
        Assert.Equal(0, waited.CompletionTokens);
        Assert.Equal(1, engine.RunningRequests);
        Assert.Equal(0, engine.WaitingRequests);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => busy);
    }

    [Fact]
    public async Task A_timeout_that_is_not_positive_is_an_argument_error_naming_it()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random);

        var error = Assert.Throws<ArgumentException>(() => engine.Prepare(GenerateRequest.FromText("x") with { Timeout = TimeSpan.Zero }));

        Assert.Equal("timeout", error.ParamName);
    }

    [Fact]
    public async Task A_text_longer_than_the_context_can_hold_is_refused_before_tokenizing()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random);
        string text = new('x', engine.ContextLength * engine.Tokenizer.MaxTokenBytes + 1);

        var error = Assert.Throws<ArgumentException>(() => engine.Prepare(GenerateRequest.FromText(text, Tokens(1))));

        Assert.Equal("text", error.ParamName);
        Assert.StartsWith($"text: the prompt ({text.Length} bytes of UTF-8, so at least {engine.ContextLength + 1} tokens of at most", error.Message);
        Assert.Contains($"alone exceeds the context length ({engine.ContextLength}).", error.Message);
    }

    [Fact]
    public async Task The_byte_bound_never_exceeds_the_real_token_count()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random);

        foreach (string text in (string[])["", "a", "Hello world, this is a test", "ééé 漢字 🎉🎉", new string(' ', 300), "<|mask|><|role_end|>x"])
            Assert.InRange(engine.Tokenizer.MinimumTokenCount(text), 0, engine.Tokenizer.Encode(text).Length);
    }

    [Fact]
    public async Task Input_ids_longer_than_the_context_are_refused_before_each_id_is_checked()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random);
        int[] ids = [.. Enumerable.Repeat(5, engine.ContextLength), -1];

        var error = Assert.Throws<ArgumentException>(() => engine.Prepare(GenerateRequest.FromIds(ids, Tokens(1))));

        Assert.Equal("input_ids", error.ParamName);
        Assert.StartsWith($"input_ids: the prompt ({ids.Length} tokens) alone exceeds the context length ({engine.ContextLength}).", error.Message);
    }

    [Theory]
    [InlineData(1.5, null, "threshold")]
    [InlineData(-0.1, null, "threshold")]
    [InlineData(double.NaN, null, "threshold")]
    [InlineData(double.PositiveInfinity, null, "threshold")]
    [InlineData(null, 0, "block_size")]
    [InlineData(null, 1025, "block_size")]
    public async Task Per_request_threshold_and_block_size_out_of_range_name_their_key(double? threshold, int? blockSize, string key)
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random);

        var error = Assert.Throws<AlgorithmConfigException>(() => engine.Prepare(GenerateRequest.FromText("x", Tokens(1)) with { Threshold = threshold, BlockSize = blockSize }));

        Assert.Equal(key, error.Key);
        Assert.StartsWith($"request: key '{key}' must be", error.Message);
    }
}
