namespace Dllm.Server.Endpoints.Running;

/// <summary>
/// One prompt's generation as the server reports it: the generator's updates, and when the request was aborted on
/// purpose (<c>/abort_request</c>, shutdown) a last update with finish reason <c>abort</c> and the output so far,
/// as SGLang answers an aborted request. A client that went away gets nothing more.
/// </summary>
internal static class PromptStream
{
    /// <summary>The updates of <paramref name="request"/>, generated under <paramref name="tracked"/>'s cancellation.</summary>
    public static async IAsyncEnumerable<GenerationUpdate> RunAsync(IDllmGenerator generator, GenerateRequest request, Hosting.TrackedRequest tracked)
    {
        GenerationUpdate? last = null;
        bool aborted = false;
        var updates = generator.GenerateStreamingAsync(request, tracked.Token).GetAsyncEnumerator(tracked.Token);
        try
        {
            while (true)
            {
                try
                {
                    if (!await updates.MoveNextAsync().ConfigureAwait(false))
                        break;
                }
                catch (OperationCanceledException) when (tracked.AbortReason is not null && !tracked.ClientAborted.IsCancellationRequested)
                {
                    aborted = true;
                    break;
                }
                last = updates.Current;
                yield return last;
            }
        }
        finally
        {
            await updates.DisposeAsync().ConfigureAwait(false);
        }
        if (aborted && last?.FinishReason is null)
            yield return Aborted(generator, request, last, tracked.AbortReason!);
    }

    private static GenerationUpdate Aborted(IDllmGenerator generator, GenerateRequest request, GenerationUpdate? last, string reason) =>
        last is not null
            ? last with { TextDelta = "", NewIds = [], FinishReason = FinishReason.Aborted(reason) }
            : new GenerationUpdate
            {
                RequestId = request.RequestId ?? "",
                TextDelta = "",
                NewIds = [],
                Text = "",
                OutputIds = [],
                PromptTokens = request.InputIds?.Count ?? generator.Tokenizer.Encode(request.Text ?? "").Length,
                DenoisingSteps = 0,
                FinishReason = FinishReason.Aborted(reason),
            };
}
