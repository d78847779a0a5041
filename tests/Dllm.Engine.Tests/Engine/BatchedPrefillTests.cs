using System.Collections.Concurrent;
using Dllm.Decoding;
using Dllm.Testing;

namespace Dllm.Tests.Engine;

/// <summary>Requests admitted in one round are prefilled together (one forward per block size and uncached length), with
/// the output each has alone; a failure in a batched prefill ends only the request whose own prefill fails; a request
/// that can share pages another one's prefill writes is prefilled after it, and shares them.</summary>
public class BatchedPrefillTests
{
    private const string Gate = "gate";

    private static GenerateRequest Request(string id, int[] ids) =>
        GenerateRequest.FromIds(ids, new SamplingParams { MaxNewTokens = 40, IgnoreEos = true }) with { RequestId = id };

    /// <summary>Each request's output alone (an engine of its own: its prompt pages must not be cached for the batched run).</summary>
    private static async Task<List<GenerationResult>> SoloAsync(IEnumerable<GenerateRequest> requests)
    {
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random, maxRunningRequests: 1);
        var results = new List<GenerationResult>();
        foreach (var request in requests)
            results.Add(await engine.GenerateAsync(request));
        return results;
    }

    /// <summary>Runs <paramref name="requests"/> so that they are admitted in one round: a gate request's prefill holds
    /// the scheduler until all of them are queued. Records every prefill's request ids.</summary>
    private static async Task<GenerationResult[]> AdmittedTogetherAsync(DllmEngine engine, ConcurrentQueue<string[]> prefills,
        IReadOnlyList<GenerateRequest> requests, Action<IReadOnlyList<string>>? fault = null)
    {
        using var queued = new ManualResetEventSlim();
        engine.FaultInjection = (kind, ids) =>
        {
            if (kind != "prefill")
                return;
            prefills.Enqueue([.. ids]);
            if (ids.Contains(Gate))
                queued.Wait(TimeSpan.FromSeconds(30));
            fault?.Invoke(ids);
        };
        var gate = engine.GenerateAsync(Request(Gate, TestPrompts.Ids(40, 99)));
        while (prefills.IsEmpty)
            await Task.Delay(5);
        var running = requests.Select(r => engine.GenerateAsync(r)).ToList();
        while (engine.WaitingRequests < requests.Count)
            await Task.Delay(5);
        queued.Set();
        await gate;
        var results = new List<GenerationResult>();
        foreach (var task in running)
        {
            try
            {
                results.Add(await task);
            }
            catch (DllmGenerationException)
            {
                results.Add(null!);
            }
        }
        return [.. results];
    }

    [Theory]
    [InlineData(16384, "gate|a,b,d|c")]
    [InlineData(128, "gate|a,b|d|c")] // two prompts of 64 new tokens a forward
    [InlineData(32, "gate|a|b|d|c")] // each longer than the limit: alone
    public async Task Prompts_admitted_together_share_prefill_forwards_and_each_gives_its_solo_output(int maxPrefillTokens, string forwards)
    {
        // 70, 75 and 80 ids: two whole blocks (64 positions) to prefill each, the rest in the first block; 100: three.
        var requests = new[] { Request("a", TestPrompts.Ids(70, 1)), Request("b", TestPrompts.Ids(80, 2)), Request("c", TestPrompts.Ids(100, 3)), Request("d", TestPrompts.Ids(75, 4)) };
        var solo = await SoloAsync(requests);
        await using var engine = await DllmEngine.CreateAsync(TestEngines.Options(TinyModels.Random, maxRunningRequests: 5) with { MaxPrefillTokens = maxPrefillTokens });
        var prefills = new ConcurrentQueue<string[]>();

        var results = await AdmittedTogetherAsync(engine, prefills, requests);

        Assert.Equal(forwards, string.Join('|', prefills.Select(p => string.Join(',', p))));
        for (int i = 0; i < requests.Length; i++)
            Assert.Equal(solo[i].OutputIds, results[i].OutputIds);
        Assert.Equal(0, engine.RunningRequests);
    }

    [Fact]
    public async Task A_failing_prefill_in_a_batch_ends_only_its_request_and_the_others_give_their_solo_output()
    {
        var requests = new[] { Request("a", TestPrompts.Ids(70, 1)), Request("poison", TestPrompts.Ids(70, 5)), Request("b", TestPrompts.Ids(80, 2)) };
        var solo = await SoloAsync([requests[0], requests[2]]);
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random, maxRunningRequests: 4);
        var prefills = new ConcurrentQueue<string[]>();

        var results = await AdmittedTogetherAsync(engine, prefills, requests, ids =>
        {
            if (ids.Contains("poison"))
                throw new InvalidOperationException("injected prefill failure");
        });

        // The batch of three fails, then each is prefilled alone: only the poisoned one fails.
        Assert.Equal([[Gate], ["a", "poison", "b"], ["a"], ["poison"], ["b"]], prefills.Select(p => p.ToList()).ToList());
        Assert.Null(results[1]);
        Assert.Equal(solo[0].OutputIds, results[0].OutputIds);
        Assert.Equal(solo[1].OutputIds, results[2].OutputIds);
        Assert.Equal(0, engine.RunningRequests);
    }

    [Fact]
    public async Task A_request_that_shares_a_prefix_with_one_admitted_beside_it_is_prefilled_after_it_and_reuses_its_pages()
    {
        int[] first = TestPrompts.Ids(100, 1);
        int[] sharing = [.. first[..64], .. TestPrompts.Ids(36, 6)]; // the same two first blocks, then its own
        int[] other = TestPrompts.Ids(40, 7); // one block to prefill, as the sharing one has left (from position 64)
        var requests = new[] { Request("first", first), Request("sharing", sharing), Request("other", other) };
        await using var engine = await TestEngines.CreateAsync(TinyModels.Random, maxRunningRequests: 4);
        var prefills = new ConcurrentQueue<string[]>();

        var results = await AdmittedTogetherAsync(engine, prefills, requests);

        Assert.Equal([[Gate], ["first"], ["sharing", "other"]], prefills.Select(p => p.ToList()).ToList());
        Assert.Equal([0, 64, 0], results.Select(r => r.CachedTokens));
    }
}
