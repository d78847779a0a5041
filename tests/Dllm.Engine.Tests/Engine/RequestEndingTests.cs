using System.Diagnostics;
using Dllm.Decoding;
using Dllm.Diagnostics;
using Dllm.Testing;
using Microsoft.Extensions.Logging;

namespace Dllm.Tests.Engine;

/// <summary>However a request ends, it stops running, frees its pages and completes its stream, and nothing that fails
/// while it ends (a telemetry listener, a log sink, the engine shutting down) strands it, the other requests or the
/// process.</summary>
public class RequestEndingTests
{
    private static SamplingParams Tokens(int count) => new() { MaxNewTokens = count, IgnoreEos = true };

    [Fact]
    public async Task A_telemetry_listener_that_throws_at_a_request_end_strands_neither_it_nor_the_other_request()
    {
        string failing = $"end-{Guid.NewGuid():N}";
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == DllmEngineTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.GetTagItem("gen_ai.response.id") as string == failing)
                    throw new InvalidOperationException("the exporter failed");
            },
        };
        ActivitySource.AddActivityListener(listener);
        var logs = new FailingLogs();
        await using var engine = await DllmEngine.CreateAsync(TestEngines.Options(TinyModels.Random, maxRunningRequests: 2), logs);

        var ending = engine.GenerateAsync(GenerateRequest.FromIds(TestPrompts.Ids(10, 1), Tokens(5)) with { RequestId = failing });
        var other = engine.GenerateAsync(GenerateRequest.FromIds(TestPrompts.Ids(10, 2), Tokens(64)));
        var results = await Task.WhenAll(ending, other).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal([5, 64], results.Select(r => r.CompletionTokens));
        Assert.All(results, r => Assert.Equal(FinishKind.Length, r.FinishReason.Kind));
        var warning = Assert.Single(logs.Entries, e => e.EventId == 1306);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains($"request {failing} failed in a telemetry listener", warning.Message, StringComparison.Ordinal);
        Assert.Equal(0, engine.RunningRequests);
        Assert.Equal(engine.MaxRunningRequests, engine.FreeSlots);
        Assert.Equal(0, engine.KvCacheStats.PagesInUse);
        Assert.Empty(engine.AuditPages());
        long steps = engine.DenoisingSteps;
        await Task.Delay(300);
        Assert.Equal(steps, engine.DenoisingSteps); // nothing left running in the background
    }

    [Fact]
    public async Task Aborting_cancelling_or_leaving_a_stream_after_the_engine_is_disposed_throws_nothing()
    {
        var engine = await DllmEngine.CreateAsync(TestEngines.Options(TinyModels.Random));
        using var cancellation = new CancellationTokenSource();
        var byId = engine.GenerateStreamingAsync(GenerateRequest.FromIds(TestPrompts.Ids(10, 1), Tokens(200)) with { RequestId = "by-id" }).GetAsyncEnumerator();
        var byToken = engine.GenerateStreamingAsync(GenerateRequest.FromIds(TestPrompts.Ids(10, 2), Tokens(200)), cancellation.Token).GetAsyncEnumerator();
        Assert.True(await byId.MoveNextAsync());
        Assert.True(await byToken.MoveNextAsync());

        engine.Dispose();

        Assert.Null(Record.Exception(() => engine.Abort("by-id")));
        Assert.Null(Record.Exception(cancellation.Cancel));
        Assert.Null(await Record.ExceptionAsync(() => byId.DisposeAsync().AsTask()));
        Assert.Null(await Record.ExceptionAsync(() => byToken.DisposeAsync().AsTask()));
        Assert.Throws<ObjectDisposedException>(() => engine.Prepare(GenerateRequest.FromIds(TestPrompts.Ids(10, 3), Tokens(8))));
    }

    [Fact]
    public async Task A_request_submitted_while_the_engine_stops_is_either_refused_or_ended()
    {
        for (int round = 0; round < 6; round++)
        {
            var engine = await DllmEngine.CreateAsync(TestEngines.Options(TinyModels.Random, maxRunningRequests: 2));
            using var start = new Barrier(5);
            var submitters = Enumerable.Range(0, 4).Select(t => Task.Run(async () =>
            {
                start.SignalAndWait();
                var outcomes = new List<string>();
                for (int i = 0; i < 20; i++)
                {
                    try
                    {
                        var result = await engine.GenerateAsync(GenerateRequest.FromIds(TestPrompts.Ids(8, 100 * t + i), Tokens(8)));
                        outcomes.Add(result.FinishReason.Kind.ToString());
                    }
                    catch (ObjectDisposedException)
                    {
                        outcomes.Add("refused");
                    }
                }
                return outcomes;
            })).ToList();
            start.SignalAndWait();
            await Task.Delay(round * 5);
            engine.Dispose();

            // Every submitted request comes back (the 60 s bound only turns a stranded request into a failure).
            var outcomes = (await Task.WhenAll(submitters).WaitAsync(TimeSpan.FromSeconds(60))).SelectMany(o => o).ToList();
            Assert.Equal(80, outcomes.Count);
            Assert.All(outcomes, o => Assert.Contains(o, new[] { "Length", "Abort", "refused" }));
        }
    }

    [Fact]
    public async Task When_the_loop_itself_fails_every_request_ends_with_an_error_and_new_ones_are_refused()
    {
        // Before, the exception left the scheduler thread and ended the process.
        var logs = FailingScheduler.Logs();
        await using var engine = await DllmEngine.CreateAsync(FailingScheduler.Options(), logs);
        Assert.Null(engine.Failure);

        var outcomes = await FailingScheduler.BreakAsync(engine);

        Assert.All(outcomes, o => Assert.IsType<DllmGenerationException>(o));
        Assert.Equal(FailingScheduler.Message, engine.Failure?.Message);
        Assert.IsType<IOException>(engine.Failure?.InnerException);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => engine.GenerateAsync(GenerateRequest.FromIds(TestPrompts.Ids(20, 9), Tokens(8))));
        Assert.Equal(FailingScheduler.Message, refused.Message);
        var critical = Assert.Single(logs.Entries, e => e.EventId == 1307);
        Assert.Equal(LogLevel.Critical, critical.Level);
        Assert.Equal(0, engine.RunningRequests);
        Assert.Equal(0, engine.KvCacheStats.PagesInUse);
    }
}
