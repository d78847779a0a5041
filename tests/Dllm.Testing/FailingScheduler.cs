using Dllm.Decoding;

namespace Dllm.Testing;

/// <summary>
/// An engine whose scheduler loop itself fails, the way no request's own failure handling can catch: its log sink fails
/// on a retraction (event 1304, inside an iteration) and again on the report of that iteration's failure (event 1300,
/// inside the loop's handler). Six requests of 20 + 40 tokens on a pool of four pages retract one another.
/// </summary>
public static class FailingScheduler
{
    /// <summary>The message the engine's failure carries after <see cref="BreakAsync"/>.</summary>
    public const string Message = "The engine's scheduler failed (IOException: the log sink failed on event 1300); it takes no more requests.";

    /// <summary>Options whose pool is small enough for the requests of <see cref="BreakAsync"/> to retract each other.</summary>
    public static DllmEngineOptions Options() => TestEngines.Options(TinyModels.Random) with { MaxTotalTokens = 4 * 32 };

    /// <summary>The log sink that fails the loop.</summary>
    public static FailingLogs Logs() => new(1304, 1300);

    /// <summary>Runs the six requests on <paramref name="engine"/> (made from <see cref="Options"/> and
    /// <see cref="Logs"/>) and gives how each ended: its exception, or null when it finished.</summary>
    public static async Task<Exception?[]> BreakAsync(DllmEngine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        var requests = Enumerable.Range(0, 6)
            .Select(i => engine.GenerateAsync(GenerateRequest.FromIds(TestPrompts.Ids(20, i), new SamplingParams { MaxNewTokens = 40, IgnoreEos = true })))
            .ToList();
        var outcomes = new Exception?[requests.Count];
        for (int i = 0; i < requests.Count; i++)
            outcomes[i] = await Record(requests[i].WaitAsync(TimeSpan.FromSeconds(60))).ConfigureAwait(false);
        return outcomes;
    }

    private static async Task<Exception?> Record(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }
}
