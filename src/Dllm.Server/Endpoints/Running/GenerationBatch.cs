using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Dllm.Server.Endpoints.Pipeline;
using Dllm.Server.Hosting;

namespace Dllm.Server.Endpoints.Running;

/// <summary>
/// The prepared prompts of one HTTP request, generated concurrently: their updates interleave in one stream, tagged
/// with the prompt's index and reporting the client's rid. A prompt aborted on purpose ends with the generator's own
/// abort update; a failure of one prompt ends the batch with that error and cancels the others; a client that goes away
/// cancels them all (freeing their engine slots). Dispose to cancel what still runs and unregister.
/// </summary>
internal sealed class GenerationBatch : IAsyncDisposable
{
    private readonly IDllmGenerator _generator;
    private readonly IReadOnlyList<PreparedRequest> _requests;
    private readonly IReadOnlyList<TrackedRequest> _tracked;
    private readonly RequestTracker _tracker;
    private readonly CancellationTokenSource _cancellation;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Channel<PromptUpdate> _updates = Channel.CreateUnbounded<PromptUpdate>(new UnboundedChannelOptions { SingleReader = true });
    private Task[] _pumps = [];
    private int _running;

    /// <summary>A batch of prepared, registered requests; <see cref="GenerationRunner.Start"/> creates it.</summary>
    public GenerationBatch(IDllmGenerator generator, IReadOnlyList<PreparedRequest> requests, IReadOnlyList<TrackedRequest> tracked, RequestTracker tracker,
        CancellationToken clientAborted)
    {
        _generator = generator;
        _requests = requests;
        _tracked = tracked;
        _tracker = tracker;
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(clientAborted);
    }

    /// <summary>The prepared prompts.</summary>
    public IReadOnlyList<PreparedRequest> Requests => _requests;

    /// <summary>Runs every prompt and yields their updates as they come; each prompt's last update has its finish reason.</summary>
    /// <exception cref="Exception">The first failure of any prompt (the others are cancelled).</exception>
    public async IAsyncEnumerable<PromptUpdate> StreamAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (_pumps.Length > 0)
            throw new InvalidOperationException("the batch has already run.");
        _running = _requests.Count;
        _pumps = [.. Enumerable.Range(0, _requests.Count).Select(PumpAsync)];
        await foreach (var update in _updates.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            yield return update;
    }

    /// <summary>Runs every prompt to the end; the final updates in input order.</summary>
    public async Task<IReadOnlyList<PromptUpdate>> CompleteAsync(CancellationToken cancellationToken)
    {
        var finals = new PromptUpdate[_requests.Count];
        await foreach (var update in StreamAsync(cancellationToken).ConfigureAwait(false))
        {
            if (update.Update.FinishReason is not null)
                finals[update.Index] = update;
        }
        return finals;
    }

    private async Task PumpAsync(int index)
    {
        var tracked = _tracked[index];
        try
        {
            await foreach (var update in _generator.GenerateStreamingAsync(_requests[index], _cancellation.Token).ConfigureAwait(false))
            {
                _tracker.MarkActivity();
                var reported = update.RequestId == tracked.Id ? update : update with { RequestId = tracked.Id };
                _updates.Writer.TryWrite(new PromptUpdate(index, reported, _clock.Elapsed));
            }
        }
        catch (OperationCanceledException) when (_cancellation.IsCancellationRequested)
        {
            // The client went away, or another prompt failed and ended the batch.
        }
        catch (ArgumentException e) when (e.ParamName == "rid")
        {
            // Another request took the rid between preparation and submission: the client's rid, not the engine's scoped one.
            Fail(GenerationRunner.RequestIdInUse(tracked.BatchId ?? tracked.Id));
        }
        catch (DllmGenerationException e) when (e.RequestId != tracked.Id)
        {
            // The engine names its owner-scoped id (key tag:rid), which only the server log shows: the client's rid instead.
            Fail(new DllmGenerationException(tracked.Id, e.InnerException));
        }
        catch (Exception e)
        {
            Fail(e);
        }
        finally
        {
            if (Interlocked.Decrement(ref _running) == 0)
                _updates.Writer.TryComplete();
        }
    }

    private void Fail(Exception error)
    {
        _updates.Writer.TryComplete(error);
        Cancel();
    }

    private void Cancel()
    {
        try
        {
            _cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Disposed meanwhile: nothing runs any more.
        }
    }

    /// <summary>Cancels the prompts still running, waits for them to leave the engine, and unregisters them.</summary>
    public async ValueTask DisposeAsync()
    {
        Cancel();
        await Task.WhenAll(_pumps).ConfigureAwait(false);
        foreach (var tracked in _tracked)
            tracked.Dispose();
        _cancellation.Dispose();
    }
}
