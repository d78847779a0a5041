using Dllm.Decoding;
using Dllm.Testing;

namespace Dllm.Tests.Engine;

/// <summary>A request whose step fails ends with its own <see cref="DllmGenerationException"/>; the requests batched with it
/// go on with exactly the output they have alone (the failed batched step is retried one request at a time).</summary>
public class FailureIsolationTests
{
    private const string Poison = "poison";
    private const string SecretDetail = "native frame at /opt/secret/libtorch.so";

    private static readonly GenerateRequest[] Others =
    [
        GenerateRequest.FromText("The first bystander", new SamplingParams { MaxNewTokens = 40, IgnoreEos = true }) with { RequestId = "a" },
        GenerateRequest.FromText("A second, longer bystander prompt", new SamplingParams { MaxNewTokens = 72, IgnoreEos = true }) with { RequestId = "b" },
        GenerateRequest.FromText("Sampled with a seed", new SamplingParams { MaxNewTokens = 48, IgnoreEos = true, Temperature = 0.9, TopP = 0.9, Seed = 7 }) with { RequestId = "c" },
    ];

    private static GenerateRequest PoisonRequest(bool seeded = false) =>
        GenerateRequest.FromText("the poisoned one", new SamplingParams { MaxNewTokens = 64, IgnoreEos = true, Temperature = seeded ? 0.7 : 0, Seed = seeded ? 3 : null }) with { RequestId = Poison };

    [Theory]
    [InlineData("step")]
    [InlineData("sample")]
    public async Task A_failing_step_ends_only_its_request_and_the_others_give_their_solo_output(string failurePoint)
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random);
        var alone = new List<GenerationResult>();
        foreach (var request in Others)
            alone.Add(await engine.GenerateAsync(request));
        int poisonSteps = 0, batchedFailures = 0;
        engine.FaultInjection = (kind, ids) =>
        {
            // From its third step on (when all four run together) the poisoned request's step fails, in a batch or alone.
            if (kind == failurePoint && ids.Contains(Poison) && ++poisonSteps >= 3)
            {
                if (ids.Count > 1)
                    batchedFailures++;
                throw new InvalidOperationException(SecretDetail);
            }
        };

        var poisoned = engine.GenerateAsync(PoisonRequest(seeded: true));
        var others = Others.Select(r => engine.GenerateAsync(r)).ToList();
        var error = await Assert.ThrowsAsync<DllmGenerationException>(() => poisoned);
        var results = await Task.WhenAll(others);

        Assert.True(batchedFailures >= 1, "the poisoned request never failed inside a batch");
        Assert.Equal(Poison, error.RequestId);
        Assert.Equal("the engine failed while generating request poison; the server log has the details.", error.Message);
        Assert.Equal(SecretDetail, error.InnerException!.Message);
        for (int i = 0; i < Others.Length; i++)
        {
            Assert.Equal(alone[i].OutputIds, results[i].OutputIds);
            Assert.Equal(alone[i].Text, results[i].Text);
            Assert.Equal(FinishKind.Length, results[i].FinishReason.Kind);
        }
        Assert.Equal(0, engine.RunningRequests);
    }

    [Fact]
    public async Task A_failing_prefill_ends_only_its_request_and_frees_its_slot()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random, maxRunningRequests: 2);
        engine.FaultInjection = (kind, ids) =>
        {
            if (kind == "prefill" && ids.Contains(Poison))
                throw new InvalidOperationException(SecretDetail);
        };

        var poisoned = engine.GenerateAsync(PoisonRequest());
        var others = Others.Select(r => engine.GenerateAsync(r)).ToList();
        var error = await Assert.ThrowsAsync<DllmGenerationException>(() => poisoned);
        var results = await Task.WhenAll(others);

        Assert.Equal(Poison, error.RequestId);
        Assert.DoesNotContain(SecretDetail, error.Message);
        Assert.Equal([40, 72, 48], results.Select(r => r.CompletionTokens));
        Assert.Equal(0, engine.RunningRequests);
    }

    [Fact]
    public async Task The_streaming_api_throws_the_failure_after_the_blocks_already_streamed()
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random);
        int steps = 0;
        engine.FaultInjection = (kind, ids) =>
        {
            if (kind == "step" && ids.Contains(Poison) && ++steps > 40)
                throw new InvalidOperationException(SecretDetail);
        };
        var updates = new List<GenerationUpdate>();

        var error = await Assert.ThrowsAsync<DllmGenerationException>(async () =>
        {
            await foreach (var update in engine.GenerateStreamingAsync(PoisonRequest()))
                updates.Add(update);
        });

        Assert.Equal(Poison, error.RequestId);
        Assert.NotEmpty(updates);
        Assert.All(updates, u => Assert.Null(u.FinishReason));
        var next = await engine.GenerateAsync(Others[0]);
        Assert.Equal(40, next.CompletionTokens);
    }
}
