using Dllm.Decoding;
using Dllm.Testing;

namespace Dllm.Tests.Engine;

public class DllmEngineTests
{
    private static SamplingParams Greedy(int maxNewTokens, bool ignoreEos = true) => new() { MaxNewTokens = maxNewTokens, IgnoreEos = ignoreEos };

    [Fact]
    public async Task Greedy_generation_stops_at_max_new_tokens_with_length()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random);

        var result = await engine.GenerateAsync(GenerateRequest.FromText("Hello world, this is a test", Greedy(40)));

        Assert.Equal(40, result.CompletionTokens);
        Assert.Equal(FinishKind.Length, result.FinishReason.Kind);
        Assert.Equal(40, result.FinishReason.Length);
        Assert.Equal(engine.Tokenizer.Encode("Hello world, this is a test").Length, result.PromptTokens);
        Assert.Equal(engine.Tokenizer.Decode(result.OutputIds, skipSpecialTokens: true), result.Text);
        // A random model commits one token per step: 64 - (prompt tail) + ... at least one step per generated token.
        Assert.True(result.DenoisingSteps >= result.CompletionTokens, $"{result.DenoisingSteps} steps for {result.CompletionTokens} tokens");
    }

    [Fact]
    public async Task A_request_alone_and_inside_a_batch_of_eight_mixed_requests_gives_the_same_ids()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random, maxRunningRequests: 8);
        var probe = GenerateRequest.FromText("The great wall of China is", Greedy(48));

        var alone = await engine.GenerateAsync(probe);
        var others = Enumerable.Range(0, 7).Select(i => GenerateRequest.FromText(new string('x', 3 + 11 * i) + $" prompt {i}", Greedy(16 + 9 * i)));
        var batch = await engine.GenerateAsync(others.Prepend(probe).ToList());

        Assert.Equal(alone.OutputIds, batch[0].OutputIds);
        Assert.Equal(8, batch.Count);
        Assert.All(batch.Skip(1).Select((r, i) => (r, i)), x => Assert.Equal(16 + 9 * x.i, x.r.CompletionTokens));
    }

    [Fact]
    public async Task Fusing_the_clean_pass_with_the_next_step_changes_no_output()
    {
        var prompts = new[] { "Fusion check one", "A second, somewhat longer prompt for the fusion check", "3" };
        var requests = prompts.Select(p => GenerateRequest.FromText(p, Greedy(100))).ToList();
        IReadOnlyList<GenerationResult> fused, separate;
        await using (var engine = await DllmEngine.CreateAsync(TestEngines.Options(TinyModels.Random) with { FuseCleanPass = true }))
            fused = await engine.GenerateAsync(requests);
        await using (var engine = await DllmEngine.CreateAsync(TestEngines.Options(TinyModels.Random) with { FuseCleanPass = false }))
            separate = await engine.GenerateAsync(requests);

        for (int i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(separate[i].OutputIds, fused[i].OutputIds);
            Assert.Equal(separate[i].DenoisingSteps, fused[i].DenoisingSteps);
        }
    }

    [Fact]
    public async Task A_request_may_name_another_algorithm_and_an_unknown_name_is_an_argument_error()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random);

        var joint = await engine.GenerateAsync(GenerateRequest.FromText("Algorithm test", Greedy(8)) with { Algorithm = "jointthreshold" });
        var error = await Assert.ThrowsAsync<ArgumentException>(() => engine.GenerateAsync(GenerateRequest.FromText("Algorithm test", Greedy(8)) with { Algorithm = "Nope" }));

        Assert.Equal(8, joint.CompletionTokens);
        Assert.Contains("Unknown diffusion algorithm 'Nope'", error.Message);
        Assert.Equal(0, engine.RunningRequests);
    }

    [Fact]
    public async Task Streaming_updates_concatenate_to_the_non_streaming_result()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random);
        var request = GenerateRequest.FromText("Streaming test prompt", Greedy(70));

        var result = await engine.GenerateAsync(request);
        var updates = new List<GenerationUpdate>();
        await foreach (var update in engine.GenerateStreamingAsync(request))
            updates.Add(update);

        Assert.Equal(result.Text, string.Concat(updates.Select(u => u.TextDelta)));
        Assert.Equal(result.OutputIds, updates.SelectMany(u => u.NewIds));
        Assert.Equal(result.OutputIds, updates[^1].OutputIds);
        Assert.All(updates.SkipLast(1), u => Assert.Null(u.FinishReason));
        Assert.Equal(FinishKind.Length, updates[^1].FinishReason!.Kind);
        // One update per resolved block: the first completes the prompt's block, the rest are whole blocks.
        int prompt = result.PromptTokens;
        Assert.Equal(32 - prompt % 32, updates[0].NewIds.Count);
        Assert.All(updates.Skip(1).SkipLast(1), u => Assert.Equal(32, u.NewIds.Count));
    }

    [Fact]
    public async Task Stop_token_ids_end_the_output_right_after_the_first_hit()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random);
        var free = await engine.GenerateAsync(GenerateRequest.FromText("Stop id test", Greedy(60)));
        int stopId = free.OutputIds[37];
        int first = free.OutputIds.ToList().IndexOf(stopId);

        var stopped = await engine.GenerateAsync(GenerateRequest.FromText("Stop id test", Greedy(60) with { StopTokenIds = [stopId] }));

        Assert.Equal(FinishKind.Stop, stopped.FinishReason.Kind);
        Assert.Equal(stopId, stopped.FinishReason.MatchedTokenId);
        Assert.Equal(free.OutputIds.Take(first + 1), stopped.OutputIds);
    }

    [Fact]
    public async Task Stop_strings_cut_the_text_and_no_stop_trim_keeps_them()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random);
        var free = await engine.GenerateAsync(GenerateRequest.FromText("Stop string test", Greedy(80)));
        string text = free.Text;
        string stop = text.Substring(text.Length / 2, 3);
        int at = text.IndexOf(stop, StringComparison.Ordinal);

        var trimmed = await engine.GenerateAsync(GenerateRequest.FromText("Stop string test", Greedy(80) with { Stop = [stop] }));
        var kept = await engine.GenerateAsync(GenerateRequest.FromText("Stop string test", Greedy(80) with { Stop = [stop], NoStopTrim = true }));

        Assert.Equal(FinishKind.Stop, trimmed.FinishReason.Kind);
        Assert.Equal(stop, trimmed.FinishReason.MatchedString);
        Assert.Equal(text[..at], trimmed.Text);
        Assert.StartsWith(text[..(at + stop.Length)], kept.Text);
        Assert.True(trimmed.CompletionTokens < free.CompletionTokens);
    }

    [Fact]
    public async Task Eos_stops_unless_ignore_eos()
    {
        string source = TinyModels.Random;
        List<int> reference;
        await using (var plain = await TestEngines.CreateAsync(source))
            reference = (await plain.GenerateAsync(GenerateRequest.FromText("EOS test", Greedy(60)))).OutputIds.ToList();
        int eos = reference[45];

        await using var engine = await TestEngines.CreateAsync(TinyModels.WithEos(source, eos));
        var stopped = await engine.GenerateAsync(GenerateRequest.FromText("EOS test", Greedy(60, ignoreEos: false)));
        var ignored = await engine.GenerateAsync(GenerateRequest.FromText("EOS test", Greedy(60, ignoreEos: true)));

        Assert.Equal(FinishReason.StopToken(eos), stopped.FinishReason);
        Assert.Equal(reference.Take(reference.IndexOf(eos) + 1), stopped.OutputIds);
        Assert.Equal(FinishKind.Length, ignored.FinishReason.Kind);
        Assert.Equal(reference, ignored.OutputIds);
    }

    [Fact]
    public async Task A_peaked_model_commits_several_tokens_per_step()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Peaked);

        var result = await engine.GenerateAsync(GenerateRequest.FromText("Peaked model", Greedy(96)));

        Assert.Equal(96, result.CompletionTokens);
        double perStep = (double)result.CompletionTokens / result.DenoisingSteps;
        Assert.True(perStep > 1.5, $"{perStep:F2} tokens per step ({result.DenoisingSteps} steps)");
    }

    [Fact]
    public async Task Sixty_four_concurrent_requests_with_random_cancellations_lose_nothing_and_free_every_slot()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random, maxRunningRequests: 8);
        var random = new Random(3);
        var tasks = new List<(int Index, bool Cancelled, Task<GenerationResult> Task)>();
        var sources = new List<CancellationTokenSource>();
        for (int i = 0; i < 64; i++)
        {
            bool cancel = random.NextDouble() < 0.25;
            var cts = new CancellationTokenSource();
            sources.Add(cts);
            if (cancel)
                cts.CancelAfter(TimeSpan.FromMilliseconds(random.Next(0, 400)));
            var request = GenerateRequest.FromText($"request {i} " + new string('y', random.Next(0, 80)), Greedy(random.Next(1, 90))) with { RequestId = $"r{i}" };
            tasks.Add((i, cancel, engine.GenerateAsync(request, cts.Token)));
        }

        int completed = 0, cancelled = 0;
        foreach (var (index, cancel, task) in tasks)
        {
            try
            {
                var result = await task;
                Assert.Equal($"r{index}", result.RequestId);
                Assert.Equal(FinishKind.Length, result.FinishReason.Kind);
                completed++;
            }
            catch (OperationCanceledException)
            {
                Assert.True(cancel, $"request {index} was cancelled without being asked to");
                cancelled++;
            }
        }

        Assert.Equal(64, completed + cancelled);
        Assert.True(completed >= tasks.Count(t => !t.Cancelled), $"{completed} completed");
        Assert.Equal(0, engine.RunningRequests);
        Assert.Equal(0, engine.WaitingRequests);
        // The freed slots serve new work.
        var after = await engine.GenerateAsync(GenerateRequest.FromText("after", Greedy(8)));
        Assert.Equal(8, after.CompletionTokens);
        sources.ForEach(s => s.Dispose());
    }

    [Fact]
    public async Task Abort_by_id_finishes_the_request_with_abort()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random, maxRunningRequests: 1);
        var running = engine.GenerateAsync(GenerateRequest.FromText("long one", Greedy(500)) with { RequestId = "long" });
        while (engine.RunningRequests == 0)
            await Task.Delay(5);

        Assert.True(engine.Abort("long"));
        var result = await running;

        Assert.Equal(FinishKind.Abort, result.FinishReason.Kind);
        Assert.False(engine.Abort("long"));
        Assert.Equal(0, engine.RunningRequests);
    }

    [Fact]
    public async Task A_caller_that_stops_reading_a_stream_early_frees_its_slot()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random, maxRunningRequests: 1);

        await foreach (var update in engine.GenerateStreamingAsync(GenerateRequest.FromText("stop early", Greedy(900)) with { RequestId = "early" }))
        {
            Assert.Null(update.FinishReason);
            break;
        }
        var next = await engine.GenerateAsync(GenerateRequest.FromText("next", Greedy(8)) with { RequestId = "early" }).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(8, next.CompletionTokens);
        Assert.Equal(0, engine.RunningRequests);
        Assert.False(engine.Abort("early"));
        // The abandoned request stopped before its 900 tokens (one step per token; run to the end, it and the next take
        // 908 steps). Alone it stops after about one block; how soon depends on when the thread pool runs the reader's
        // disposal, which a loaded machine delays (586 steps once in a CI run on 2 busy cores).
        Assert.True(engine.DenoisingSteps < 900, $"{engine.DenoisingSteps} steps");
    }

    [Fact]
    public async Task Bad_requests_are_rejected_naming_the_field()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random);

        var both = await Assert.ThrowsAsync<ArgumentException>(() => engine.GenerateAsync(new GenerateRequest { Text = "a", InputIds = [1] }));
        var neither = await Assert.ThrowsAsync<ArgumentException>(() => engine.GenerateAsync(new GenerateRequest()));
        var vocab = await Assert.ThrowsAsync<ArgumentException>(() => engine.GenerateAsync(GenerateRequest.FromIds([1, engine.ModelConfig.VocabSize])));
        var tooLong = await Assert.ThrowsAsync<ArgumentException>(() => engine.GenerateAsync(GenerateRequest.FromIds(new int[1000], Greedy(100))));
        var negative = await Assert.ThrowsAsync<ArgumentException>(() => engine.GenerateAsync(GenerateRequest.FromText("a", new SamplingParams { MaxNewTokens = -1 })));

        Assert.Contains("exactly one of text and input_ids", both.Message);
        Assert.Contains("exactly one of text and input_ids", neither.Message);
        Assert.Contains($"token id {engine.ModelConfig.VocabSize} is outside the vocabulary", vocab.Message);
        Assert.Contains("exceeds the context length (1024)", tooLong.Message);
        Assert.Contains("max_new_tokens", negative.Message);
        Assert.Equal(0, engine.RunningRequests);
    }
}
