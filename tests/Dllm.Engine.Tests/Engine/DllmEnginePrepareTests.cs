using Dllm.Decoding;
using Dllm.Testing;

namespace Dllm.Tests.Engine;

public class DllmEnginePrepareTests
{
    [Fact]
    public async Task Prepare_rejects_what_generation_would_reject_and_runs_nothing()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random);
        int vocab = engine.ModelConfig.VocabSize;

        var both = Assert.Throws<ArgumentException>(() => engine.Prepare(new GenerateRequest { Text = "a", InputIds = [1] }));
        var outside = Assert.Throws<ArgumentException>(() => engine.Prepare(GenerateRequest.FromIds([1, vocab])));
        var negative = Assert.Throws<ArgumentException>(() => engine.Prepare(GenerateRequest.FromText("a", new SamplingParams { MaxNewTokens = -1 })));
        var tooLong = Assert.Throws<ArgumentException>(() => engine.Prepare(GenerateRequest.FromText("a", new SamplingParams { MaxNewTokens = engine.ContextLength })));
        engine.Prepare(GenerateRequest.FromText("fine", new SamplingParams { MaxNewTokens = 8 }));

        Assert.Contains("exactly one of text and input_ids", both.Message);
        Assert.Contains($"token id {vocab} is outside the vocabulary", outside.Message);
        Assert.Equal("max_new_tokens", negative.ParamName);
        Assert.Contains("exceeds the context length", tooLong.Message);
        Assert.Equal("max_new_tokens", tooLong.ParamName);
        Assert.Equal(0, engine.DenoisingSteps);
        Assert.Equal(0, engine.RunningRequests + engine.WaitingRequests);
    }

    [Fact]
    public async Task A_prompt_is_tokenized_once_by_Prepare_and_not_again_by_generation()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random);
        long before = engine.Tokenizer.Encodings;

        var prepared = engine.Prepare(GenerateRequest.FromText("count my tokenizations", new SamplingParams { MaxNewTokens = 4, IgnoreEos = true }));
        long afterPrepare = engine.Tokenizer.Encodings;
        var result = await GenerationUpdate.LastAsResultAsync(engine.GenerateStreamingAsync(prepared));

        Assert.Equal(before + 1, afterPrepare);
        Assert.Equal(afterPrepare, engine.Tokenizer.Encodings);
        Assert.Equal(engine.Tokenizer.Encode("count my tokenizations"), prepared.PromptIds);
        Assert.Equal(prepared.PromptTokens, result.PromptTokens);
        Assert.Equal(4, result.CompletionTokens);
    }

    [Fact]
    public async Task UntilContextEnd_resolves_max_new_tokens_to_the_rest_of_the_context_once()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random);

        var prepared = engine.Prepare(GenerateRequest.FromIds([1, 2, 3], new SamplingParams { MaxNewTokens = 5 }) with { UntilContextEnd = true });

        Assert.Equal(engine.ContextLength - 3 - engine.BlockSize, prepared.Sampling.MaxNewTokens);
        Assert.Equal(5, prepared.Request.Sampling.MaxNewTokens);
    }

    [Fact]
    public async Task A_rid_in_use_is_refused_by_Prepare_naming_rid()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random);
        var running = engine.Prepare(GenerateRequest.FromText("long", new SamplingParams { MaxNewTokens = 500, IgnoreEos = true }) with { RequestId = "busy" });
        await using var stream = engine.GenerateStreamingAsync(running).GetAsyncEnumerator();
        Assert.True(await stream.MoveNextAsync());

        var error = Assert.Throws<ArgumentException>(() => engine.Prepare(GenerateRequest.FromText("again") with { RequestId = "busy" }));

        Assert.Equal("rid", error.ParamName);
        Assert.Contains("rid 'busy' is already in use", error.Message);
    }

    [Fact]
    public async Task Abort_by_id_ends_the_stream_with_the_engines_own_abort_update_and_the_output_so_far()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random);
        var prepared = engine.Prepare(GenerateRequest.FromText("a long story", new SamplingParams { MaxNewTokens = 900, IgnoreEos = true }) with { RequestId = "to-abort" });
        var updates = new List<GenerationUpdate>();
        // Until the abort, each step takes 10 ms or more: the request cannot run its 900 tokens to the end before a
        // slow test host reads its first update and aborts it.
        var aborted = false;
        engine.FaultInjection = (kind, _) =>
        {
            if (kind == "step" && !Volatile.Read(ref aborted))
                Thread.Sleep(10);
        };

        await foreach (var update in engine.GenerateStreamingAsync(prepared))
        {
            if (updates.Count == 0)
            {
                Assert.True(engine.Abort("to-abort", "stopped by the test"));
                Volatile.Write(ref aborted, true);
            }
            updates.Add(update);
        }

        var last = updates[^1];
        Assert.Equal(FinishKind.Abort, last.FinishReason!.Kind);
        Assert.Equal("stopped by the test", last.FinishReason.Message);
        Assert.StartsWith(updates[0].Text, last.Text);
        Assert.True(last.OutputIds.Count < 900);
        Assert.False(engine.Abort("to-abort", "again"));
    }

    [Fact]
    public async Task A_request_prepared_by_another_engine_is_refused()
    {
        await using var one = await TestEngines.CreateAsync(TinyModels.Random, maxRunningRequests: 1);
        await using var other = await TestEngines.CreateAsync(TinyModels.Random, maxRunningRequests: 1);
        var prepared = one.Prepare(GenerateRequest.FromText("x", new SamplingParams { MaxNewTokens = 1 }));

        var error = await Assert.ThrowsAsync<ArgumentException>(async () =>
        {
            await foreach (var _ in other.GenerateStreamingAsync(prepared))
            {
            }
        });

        Assert.Contains("prepared by another generator", error.Message);
    }
}
