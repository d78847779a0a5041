using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Dllm.Tokenization;

namespace Dllm.Server.Tests.Infrastructure;

/// <summary>
/// A generator that produces one block (<see cref="FirstBlock"/>) and then waits until it is cancelled or aborted: a
/// request that is certainly still running when a test aborts it, whatever a random model would have sampled. An abort
/// ends it as the engine would: a last update with finish reason abort and the output so far.
/// </summary>
internal sealed class StallingGenerator(DllmEngine engine) : IDllmGenerator
{
    public const string FirstBlock = "partial answer";

    private readonly ConcurrentDictionary<string, TaskCompletionSource<string>> _stalled = new(StringComparer.Ordinal);

    public string ModelName => engine.ModelName;

    public LladaTokenizer Tokenizer => engine.Tokenizer;

    public PreparedRequest Prepare(GenerateRequest request) => engine.Prepare(request);

    public bool Abort(string requestId, string reason) => _stalled.TryGetValue(requestId, out var stalled) && stalled.TrySetResult(reason);

    public async IAsyncEnumerable<GenerationUpdate> GenerateStreamingAsync(PreparedRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var aborted = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.True(_stalled.TryAdd(request.RequestId, aborted));
        try
        {
            await Task.Yield();
            var first = new GenerationUpdate
            {
                RequestId = request.RequestId,
                TextDelta = FirstBlock,
                NewIds = engine.Tokenizer.Encode(FirstBlock),
                Text = FirstBlock,
                OutputIds = engine.Tokenizer.Encode(FirstBlock),
                PromptTokens = request.PromptTokens,
                DenoisingSteps = 1,
            };
            yield return first;
            string reason = await aborted.Task.WaitAsync(cancellationToken);
            yield return first with { TextDelta = "", NewIds = [], FinishReason = FinishReason.Aborted(reason), Latency = TimeSpan.FromMilliseconds(1) };
        }
        finally
        {
            _stalled.TryRemove(request.RequestId, out _);
        }
    }
}
