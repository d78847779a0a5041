using Dllm.Decoding;
using Dllm.Diagnostics;
using Dllm.Runner;
using Microsoft.Extensions.Logging;

namespace Dllm.Scheduling;

/// <summary>
/// The prefill of the requests one admission round admitted (scheduler thread): batched forwards of the prompts of one
/// block size and uncached length (<see cref="PrefillBatches"/>, at most <c>maxPrefillTokens</c> new tokens a forward),
/// or, under placeholder fusion, short tails left to the first step's forward (<see cref="Defers"/>). A failed batch is
/// retried one request at a time, so a failure ends only the request whose own prefill fails (<see cref="RequestEnder"/>).
/// Each prefilled request's pages enter the prefix cache, and every admitted request's first block starts.
/// </summary>
internal sealed class Prefiller(ModelRunner runner, PageManager pages, RunningRequests running, RequestEnder ender,
    EngineTelemetry telemetry, ILogger logger, bool fuseCleanPass, int maxPrefillTokens)
{
    /// <summary>Prefills the pending requests in batched forwards (<see cref="PrefillBatches"/>), or, with
    /// <paramref name="deferShortTails"/>, leaves short tails to the next step's forward (<see cref="Defers"/>), and
    /// empties the list.</summary>
    public void Prefill(List<PendingPrefill> pending, bool deferShortTails = true)
    {
        foreach (var batch in PrefillBatches.Split(pending, maxPrefillTokens))
        {
            if (deferShortTails && Defers(batch[0]))
            {
                foreach (var deferred in batch)
                {
                    deferred.Request.PendingCleanTokens = deferred.Tokens[deferred.Cached..deferred.Prefix];
                    Start(deferred, prefilled: false);
                }
            }
            else
            {
                PrefillBatch(batch);
            }
        }
        pending.Clear();
    }

    /// <summary>The most blocks of uncached known tokens a request may leave to its first step's forward.</summary>
    internal const int DeferredPrefillMaxBlocks = 4;

    /// <summary>
    /// Whether <paramref name="prefill"/>'s tokens are left to its first step (SGLang's mixed chunk): stored by the clean
    /// pass fused with that step (<see cref="ModelRunner.StepWithCleanPass"/>) instead of a prefill forward of their own —
    /// when they are a short tail (at most <see cref="DeferredPrefillMaxBlocks"/> blocks after a cached prefix, e.g. a
    /// new chat turn), steps fuse with placeholders (CUDA graphs: a forward is bound by reading the weights, so a few
    /// more tokens in the step's forward cost little, against a whole prefill forward), and every running request of its
    /// block size with tokens pending has as many, so that the next step stays one forward. A later request admitted
    /// while it runs finds those pages in the prefix cache once it ends (like the output blocks).
    /// </summary>
    private bool Defers(PendingPrefill prefill) =>
        fuseCleanPass && runner.FusesWithPlaceholders && prefill.NewTokens > 0 && prefill.NewTokens <= DeferredPrefillMaxBlocks * prefill.BlockSize
        && running.Snapshot().All(r => r.Algorithm.BlockSize != prefill.BlockSize || r.PendingCleanTokens is null || r.PendingCleanTokens.Length == prefill.NewTokens);

    /// <summary>One batched prefill; when it fails, its requests are prefilled one at a time, so only a request whose own
    /// prefill fails ends. Each prefilled request's pages enter the prefix cache and its first block starts.</summary>
    private void PrefillBatch(List<PendingPrefill> batch)
    {
        try
        {
            runner.Prefill(batch);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            if (batch.Count == 1)
            {
                ender.Fail(batch[0].Request, e, "prefill");
                return;
            }
            logger.BatchedPrefillFailed(batch.Count, e.GetType().Name);
            foreach (var one in batch)
                PrefillBatch([one]);
            return;
        }
        foreach (var prefilled in batch)
            Start(prefilled, prefilled: true);
    }

    /// <summary>Starts an admitted request's first block; when its known tokens were <paramref name="prefilled"/>, their
    /// pages enter the prefix cache first.</summary>
    private void Start(PendingPrefill admitted, bool prefilled)
    {
        var request = admitted.Request;
        try
        {
            if (prefilled)
                pages.OnPrefilled(request, admitted.Tokens, admitted.Prefix);
            telemetry.OnPrefill(request, admitted.Prefix);
            request.StartBlock(new BlockState(admitted.BlockSize, runner.Model.Config.MaskTokenId, admitted.Tokens.AsSpan(admitted.Prefix)));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            ender.Fail(request, e, "prefill");
        }
    }
}
