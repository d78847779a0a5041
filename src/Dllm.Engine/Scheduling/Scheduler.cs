using System.Diagnostics;
using System.Collections.Concurrent;
using Dllm.Decoding;
using Dllm.Diagnostics;
using Dllm.Model;
using Dllm.Runner;
using Dllm.Tokenization;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace Dllm.Scheduling;

/// <summary>
/// Continuous batching on one thread that owns the device (each iteration: admit -> step -> resolve): requests wait in
/// a queue that is fair across groups (<see cref="FairRequestQueue{T}"/>), up to <c>maxRunning</c> run at once; every
/// iteration ends the waiting and running requests that were cancelled or passed their deadline, gives each running
/// request whose block resolved the page of its next block, retracting the most recently admitted other request when
/// the pool has none left (<see cref="Grow"/>), admits waiting requests in queue order while the K/V pool has the pages
/// of each one's known tokens and current block (<see cref="PageManager"/>; a request that does not fit waits, and so do
/// the ones behind it) and prefills them from the end of their cached prefix, together in batched forwards
/// (<see cref="Prefiller"/>), runs one denoising step for all running
/// blocks together (one forward per block size), stores the K/V of the blocks that resolved, applies the finish rules
/// and streams each resolved block to its request. A request that ends, however it ends, releases its pages at once
/// (<see cref="RequestEnder"/>).
/// <para>Failure isolation: a failed batched prefill is retried one request at a time, and a failed prefill of one
/// request fails that request only; a failed batched step (forward, logits
/// adjustment, sampling) is retried one request at a time, so only the requests whose own step fails end, with a
/// <see cref="DllmGenerationException"/> (logged once by <see cref="RequestEnder"/>, with the request id), and the
/// others continue with the output they would have had (seeded generators are rewound before the retry). Ending a
/// request never throws (<see cref="RequestEnder"/>), and should the loop itself fail, every request ends with an error
/// and new ones are refused: the scheduler thread never takes the process down.</para>
/// <para>Shutdown (<see cref="Dispose"/>): a request is either queued before the loop stops, and then ended with finish
/// reason abort, or refused with <see cref="ObjectDisposedException"/>; <see cref="Wake"/> after it does nothing.</para>
/// </summary>
internal sealed class Scheduler : IDisposable
{
    private readonly ModelRunner _runner;

    /// <summary>The runner's CUDA graphs (a snapshot).</summary>
    public CudaGraphStats CudaGraphStats => _runner.CudaGraphStats;
    private readonly LladaTokenizer _tokenizer;
    private readonly ILogger _logger;
    private readonly PageManager _pages;
    private readonly int? _maxQueued;
    private readonly ConcurrentQueue<EngineRequest> _incoming = new();
    private readonly FairRequestQueue<EngineRequest> _waiting = new();
    private readonly RunningRequests _running;
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Thread _thread;
    private readonly bool _fuseCleanPass;
    private readonly Prefiller _prefiller;
    private readonly EngineTelemetry _telemetry;
    private readonly RequestEnder _ender;
    private volatile bool _stopping;
    private volatile InvalidOperationException? _failure;

    /// <summary>Held while a request is queued or the loop woken, and while <see cref="Dispose"/> stops the loop: no
    /// request is queued after the loop's last look at the queue, and no wake reaches a disposed signal.</summary>
    private readonly Lock _gate = new();
    private int _waitingCount;

    public Scheduler(ModelRunner runner, PageManager pages, int maxRunning, LladaTokenizer tokenizer, ILogger logger, EngineTelemetry telemetry, bool fuseCleanPass = true, int? maxQueued = null, int maxPrefillTokens = DllmEngineOptions.DefaultMaxPrefillTokens)
    {
        _telemetry = telemetry;
        _fuseCleanPass = fuseCleanPass;
        _maxQueued = maxQueued;
        _runner = runner;
        _tokenizer = tokenizer;
        _logger = logger;
        _pages = pages;
        _running = new RunningRequests(maxRunning);
        _ender = new RequestEnder(pages, _running, telemetry, logger);
        _prefiller = new Prefiller(runner, pages, _running, _ender, telemetry, logger, fuseCleanPass, maxPrefillTokens);
        _pages.Publish();
        _thread = new Thread(Loop) { IsBackground = true, Name = "dllm-scheduler" };
        _thread.Start();
    }

    public int Running => _running.Count;

    /// <summary>Why the scheduler takes no more requests, when its loop failed (<see cref="FailAll"/>); null while it runs.</summary>
    public InvalidOperationException? Failure => _failure;

    /// <summary>Requests that may still be admitted (<c>maxRunning</c> less the running ones): a snapshot from another
    /// thread, exact while the engine is idle (tests check for leaks with it).</summary>
    internal int FreeSlots => _running.Limit - Running;

    /// <summary>The K/V pool and prefix cache as last published (thread-safe).</summary>
    public KvCacheStats KvCacheStats => _pages.Stats;

    public int Waiting => Volatile.Read(ref _waitingCount);

    public int Capacity => _running.Limit;

    /// <summary>Total denoising forwards run.</summary>
    public long Steps { get; private set; }

    /// <summary>Queues a request (thread-safe).</summary>
    /// <exception cref="DllmQueueFullException">The waiting queue holds its limit of requests already.</exception>
    /// <exception cref="ObjectDisposedException">The engine is shutting down.</exception>
    /// <exception cref="InvalidOperationException">The scheduler failed (logged); the engine takes no more requests.</exception>
    public void Submit(EngineRequest request)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            if (_failure is { } failure)
                throw new InvalidOperationException(failure.Message, failure.InnerException);
            Queue(request);
        }
    }

    private void Queue(EngineRequest request)
    {
        if (_maxQueued is int limit)
        {
            int waiting;
            do
            {
                waiting = Volatile.Read(ref _waitingCount);
                if (waiting >= limit)
                    throw new DllmQueueFullException(limit);
            }
            while (Interlocked.CompareExchange(ref _waitingCount, waiting + 1, waiting) != waiting);
        }
        else
        {
            Interlocked.Increment(ref _waitingCount);
        }
        _incoming.Enqueue(request);
        _signal.Release();
    }

    /// <summary>Wakes the loop so it sees a cancellation (thread-safe; nothing once the engine is shutting down).</summary>
    public void Wake()
    {
        lock (_gate)
        {
            if (!_stopping)
                _signal.Release();
        }
    }

    private void Loop()
    {
        try
        {
            using var inference = torch.inference_mode();
            while (!_stopping)
            {
                try
                {
                    Iterate();
                }
                catch (Exception e)
                {
                    // Not attributable to one request (the per-request paths catch their own failures).
                    _logger.IterationFailed(e, _running.Count);
                    foreach (var request in _running.Snapshot())
                        _ender.Fail(request, new DllmGenerationException(request.Id, e));
                }
            }
            foreach (var request in _running.Snapshot())
                _ender.Finish(request, FinishReason.Aborted("the engine is shutting down"), "");
            MoveIncoming();
            foreach (var waiting in _waiting.RemoveAll(_ => true))
                _ender.Finish(waiting, FinishReason.Aborted("the engine is shutting down"), "");
        }
        catch (Exception e)
        {
            FailAll(e);
        }
    }

    /// <summary>The loop itself failed: refuse new requests, end every running, waiting and queued one with an error.</summary>
    private void FailAll(Exception e)
    {
        lock (_gate)
            _failure = new InvalidOperationException($"The engine's scheduler failed ({e.GetType().Name}: {e.Message}); it takes no more requests.", e);
        MoveIncoming();
        var requests = _running.Snapshot().Concat(_waiting.RemoveAll(_ => true)).ToList();
        try
        {
            _logger.SchedulerFailed(e, requests.Count);
        }
        catch (Exception)
        {
            // A failing logger must not stop the requests from ending.
        }
        foreach (var request in requests)
            _ender.Fail(request, new DllmGenerationException(request.Id, e));
    }

    private void MoveIncoming()
    {
        while (_incoming.TryDequeue(out var request))
            _waiting.Enqueue(request, request.QueueGroup);
    }

    /// <summary>One iteration: admit -> step -> resolve.</summary>
    private void Iterate()
    {
        long now = Stopwatch.GetTimestamp();
        MoveIncoming();
        EndWaitingRequests();
        EndStoppedRequests(); // before Grow: a cancelled request takes no page and retracts no other
        Grow();
        Admit();
        EndStoppedRequests();
        now = Profile.Add(IterationPhase.Admit, now);
        if (_running.IsEmpty)
        {
            _signal.Wait(TimeSpan.FromMilliseconds(200));
            return;
        }
        foreach (var group in _running.ByBlockSize())
        {
            int blockSize = group[0].Algorithm.BlockSize;
            foreach (var (requests, proposals) in Step(group, blockSize))
            {
                now = Profile.Add(IterationPhase.Step, now);
                Resolve(requests, proposals, blockSize);
                now = Profile.Add(IterationPhase.Resolve, now);
            }
        }
    }

    /// <summary>Where the loop's time goes (read by the end-to-end benchmark).</summary>
    public IterationProfile Profile { get; } = new();

    /// <summary>Aborts the running requests that were cancelled or passed their deadline.</summary>
    private void EndStoppedRequests()
    {
        foreach (var request in _running.Snapshot())
        {
            if (request.StopReason is string reason)
                _ender.Finish(request, FinishReason.Aborted(reason), "");
        }
    }

    /// <summary>Ends the waiting requests that were cancelled, passed their deadline, or need no token at all.</summary>
    private void EndWaitingRequests()
    {
        if (_waiting.Count == 0)
            return;
        foreach (var request in _waiting.RemoveAll(r => r.StopReason is not null || r.Sampling.MaxNewTokens == 0))
        {
            Interlocked.Decrement(ref _waitingCount);
            _ender.Finish(request, request.StopReason is string reason ? FinishReason.Aborted(reason) : FinishReason.MaxLength(0), "");
        }
    }

    /// <summary>
    /// Gives every running request whose block resolved the page of its next block, in admission order: when the pool
    /// has none left, the most recently admitted other running request is retracted (<see cref="Retract"/>) until it has.
    /// A grower never waits: while another request runs there is a victim, and alone it fits, since its whole budget fits
    /// the pool (Prepare checks <see cref="PageBudget"/>) and every page it does not hold is then free or evictable.
    /// Each retraction follows a resolved block, so retractions are bounded and every request finishes.
    /// </summary>
    private void Grow()
    {
        bool grew = false;
        foreach (var request in _running.Snapshot())
        {
            if (request.PageTable is null || _pages.Covers(request))
                continue; // retracted for an earlier grower (its pages released), or its block has its pages
            grew = true;
            while (!_pages.TryGrow(request))
            {
                var victim = _running.NewestOtherThan(request)
                    ?? throw new InvalidOperationException($"request {request.Id} is alone and finds no K/V page for its next block, though its budget fits the pool");
                Retract(victim, request);
            }
        }
        if (grew)
            _pages.Publish();
    }

    /// <summary>
    /// Takes a running request's pages back for <paramref name="grower"/> (SGLang's retraction): its clean pages enter the
    /// prefix cache, its partly denoised block is discarded (<see cref="EngineRequest.RestartBlock"/>: step count, recorded
    /// steps and seeded generator rewound, so its output is what it would have been), and it waits at the head of the
    /// queue with its output so far; re-admitted, it prefills its prompt and resolved output (from what is still cached)
    /// and denoises its block again from masks. It is never failed for lack of pages.
    /// </summary>
    private void Retract(EngineRequest victim, EngineRequest grower)
    {
        int pages = _pages.Retract(victim);
        victim.RestartBlock();
        _running.Remove(victim);
        _waiting.EnqueueFirst(victim);
        Interlocked.Increment(ref _waitingCount);
        _logger.RequestRetracted(victim.Id, grower.Id, pages, victim.OutputIds.Count);
    }

    /// <summary>Admits waiting requests in queue order while there is room: a running place and the pages of the next
    /// one's known tokens and current block (its cached prefix shared); prefills each one's known tokens (its prompt, and
    /// the output of its resolved blocks when it was retracted) from the end of its cached prefix, the admitted requests
    /// together (<see cref="Prefiller"/>). A request that could share pages another admitted request's prefill writes is
    /// reserved after that prefill (<see cref="PendingPrefill.Feeds"/>).</summary>
    private void Admit()
    {
        var pending = new List<PendingPrefill>();
        bool admitted = false;
        while (_running.HasRoom && _waiting.TryPeek(out var request))
        {
            int blockSize = request.Algorithm.BlockSize;
            int[] tokens = request.KnownTokens();
            int prefix = tokens.Length / blockSize * blockSize;
            if (pending.Exists(p => p.Feeds(tokens, prefix, _pages.PageSize)))
                _prefiller.Prefill(pending, deferShortTails: false); // their pages in the prefix cache before this one reserves
            request.BlockStart = prefix;
            if (_pages.TryReserve(request, tokens, prefix) is not int cached)
                break; // waits for the pages of requests that end
            _waiting.TryDequeue(out _);
            admitted = true;
            Interlocked.Decrement(ref _waitingCount);
            _running.Add(request);
            pending.Add(new PendingPrefill(request, tokens, cached, prefix));
        }
        _prefiller.Prefill(pending);
        if (admitted)
            _pages.Publish();
    }

    /// <summary>
    /// The device part of one denoising step of <paramref name="group"/> (same block size): the requests and their
    /// proposals, in one batch, or, when the batched step failed, one batch per request whose solo step succeeds.
    /// </summary>
    private IEnumerable<(List<EngineRequest> Requests, SampledProposals Proposals)> Step(List<EngineRequest> group, int blockSize)
    {
        var proposals = TryPropose(group, blockSize, out bool retry);
        if (proposals is not null)
        {
            Steps++;
            yield return (group, proposals);
            yield break;
        }
        if (!retry)
            yield break;
        foreach (var request in group)
        {
            foreach (var solo in Step([request], blockSize))
                yield return solo;
        }
    }

    /// <summary>The group's proposals, or null when the step failed: a single request fails; a batch is to be retried
    /// one request at a time (<paramref name="retry"/>), its seeded generators rewound.</summary>
    private SampledProposals? TryPropose(List<EngineRequest> group, int blockSize, out bool retry)
    {
        retry = false;
        var rewind = group.Count > 1 ? GeneratorStates.Save(group) : null;
        try
        {
            return _runner.Propose(group, blockSize, _fuseCleanPass);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            if (rewind is null)
            {
                _ender.Fail(group[0], e, "denoising step");
                return null;
            }
            _logger.BatchedStepFailed(group.Count, e.GetType().Name);
            rewind.Restore();
            retry = true;
            return null;
        }
        finally
        {
            rewind?.Dispose();
        }
    }

    /// <summary>Applies the proposals to each request's block (its algorithm's step) and resolves the blocks that are done.</summary>
    private void Resolve(List<EngineRequest> group, SampledProposals proposals, int blockSize)
    {
        for (int i = 0; i < group.Count; i++)
        {
            var request = group[i];
            try
            {
                request.DenoisingSteps++;
                var tokens = proposals.Tokens.AsSpan(i * blockSize, blockSize);
                var confidences = proposals.Confidences.AsSpan(i * blockSize, blockSize);
                var block = request.Block!;
                int committed = block.Committed;
                request.Steps?.Before(block);
                bool resolved = request.Algorithm.Step(block, tokens, confidences);
                request.Steps?.After(request.DenoisingSteps, block, request.BlockStart - request.PromptIds.Length, confidences);
                _telemetry.OnStep(block.Committed - committed);
                if (resolved)
                    OnBlockResolved(request);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _ender.Fail(request, e, "denoising step");
            }
        }
    }

    private void OnBlockResolved(EngineRequest request)
    {
        var block = request.Block!;
        var output = BlockOutput.Apply(request, _runner.Model.Config.EosTokenId, _tokenizer);
        _telemetry.OnBlockResolved(request, block, output.NewIds.Length);
        if (output.Finish is not null)
        {
            _ender.Finish(request, output.Finish, output.Delta, output.NewIds, output.Text);
            return;
        }
        request.Text = output.Text;
        request.Updates.Writer.TryWrite(request.NextUpdate(output.Delta, output.NewIds, finish: null));
        // A finished request needs no clean pass at all; a continuing one stores its K/V before (or, fused, with)
        // its next step.
        request.PendingCleanTokens = block.Tokens;
        request.BlockStart += block.Tokens.Length;
        request.StartBlock(new BlockState(block.Tokens.Length, block.MaskTokenId, []));
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopping)
                return;
            _stopping = true;
            _signal.Release();
        }
        _thread.Join();
        _signal.Dispose();
    }
}
