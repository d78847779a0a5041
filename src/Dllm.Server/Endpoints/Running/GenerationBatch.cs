using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Dllm.Server.Hosting;

namespace Dllm.Server.Endpoints.Running;

/// <summary>
/// The prompts of one HTTP request, generated concurrently: their updates interleave in one stream, tagged with
/// the prompt's index. A failure of one prompt ends the batch with that error and cancels the others; a client
/// that goes away cancels them all (freeing their engine slots). Dispose to cancel what still runs and unregister.
/// </summary>
internal sealed class GenerationBatch : IAsyncDisposable
{
    private readonly IDllmGenerator _generator;
    private readonly IReadOnlyList<GenerateRequest> _requests;
    private readonly IReadOnlyList<TrackedRequest> _tracked;
    private readonly RequestTracker _tracker;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Channel<PromptUpdate> _updates = Channel.CreateUnbounded<PromptUpdate>(new UnboundedChannelOptions { SingleReader = true });
    private Task[] _pumps = [];
    private int _running;

    /// <summary>A batch of validated, registered requests; <see cref="GenerationRunner.Start"/> creates it.</summary>
    public GenerationBatch(IDllmGenerator generator, IReadOnlyList<GenerateRequest> requests, IReadOnlyList<TrackedRequest> tracked, RequestTracker tracker)
    {
        _generator = generator;
        _requests = requests;
        _tracked = tracked;
        _tracker = tracker;
    }

    /// <summary>The prompts.</summary>
    public IReadOnlyList<GenerateRequest> Requests => _requests;

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
            await foreach (var update in PromptStream.RunAsync(_generator, _requests[index], tracked).ConfigureAwait(false))
            {
                _tracker.MarkActivity();
                var reported = update.RequestId == tracked.Id ? update : update with { RequestId = tracked.Id };
                _updates.Writer.TryWrite(new PromptUpdate(index, reported, _clock.Elapsed));
            }
        }
        catch (OperationCanceledException) when (tracked.Token.IsCancellationRequested)
        {
            // The client went away, or another prompt failed and ended the batch.
        }
        catch (Exception e)
        {
            _updates.Writer.TryComplete(e);
            foreach (var other in _tracked)
                other.Cancel();
        }
        finally
        {
            if (Interlocked.Decrement(ref _running) == 0)
                _updates.Writer.TryComplete();
        }
    }

    /// <summary>Cancels the prompts still running, waits for them to leave the engine, and unregisters them.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var tracked in _tracked)
            tracked.Cancel();
        await Task.WhenAll(_pumps).ConfigureAwait(false);
        foreach (var tracked in _tracked)
            tracked.Dispose();
    }
}
