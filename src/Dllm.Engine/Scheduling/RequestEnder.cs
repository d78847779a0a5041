using Dllm.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Dllm.Scheduling;

/// <summary>
/// Ends the scheduler's requests, however they end (finished, aborted, failed, the engine shutting down): records the
/// end (<see cref="EngineTelemetry.OnEnd"/>, before the caller can see it), releases the request's pages at once (its
/// final ones cached unless it failed) and stops counting it as running, writes its last update and completes its
/// stream. A request already ended is left as it is. Ending never throws: a failing telemetry listener (user code) is
/// logged and the end goes on, and a failing page release is logged and ends the request with an error; either way the
/// request stops running and its stream completes, so no caller waits for a request the scheduler no longer steps.
/// Used on the scheduler thread only.
/// </summary>
internal sealed class RequestEnder(PageManager pages, RunningRequests running, EngineTelemetry telemetry, ILogger logger)
{
    /// <summary>Ends <paramref name="request"/> with <paramref name="reason"/>: its last update carries
    /// <paramref name="delta"/>, <paramref name="newIds"/> (none when null) and <paramref name="text"/> (its text so far
    /// when null).</summary>
    public void Finish(EngineRequest request, FinishReason reason, string delta, int[]? newIds = null, string? text = null)
    {
        if (request.IsFinished)
            return;
        request.Text = text ?? request.Text;
        End(request, reason, error: null, request.NextUpdate(delta, newIds ?? [], reason));
    }

    /// <summary>Ends <paramref name="request"/> with a <see cref="DllmGenerationException"/> after logging
    /// <paramref name="error"/> once, naming the <paramref name="stage"/> that failed.</summary>
    public void Fail(EngineRequest request, Exception error, string stage)
    {
        logger.RequestFailed(error, request.Id, stage);
        Fail(request, new DllmGenerationException(request.Id, error));
    }

    /// <summary>Ends <paramref name="request"/> with <paramref name="error"/> (already logged): no last update, its
    /// stream completes with the error.</summary>
    public void Fail(EngineRequest request, DllmGenerationException error)
    {
        if (!request.IsFinished)
            End(request, reason: null, error, last: null);
    }

    /// <summary>Ends a request: records it (before the caller can see the end), releases its pages (its final ones
    /// cached unless it failed), writes its last update, completes its stream; never throws.</summary>
    private void End(EngineRequest request, FinishReason? reason, Exception? error, GenerationUpdate? last)
    {
        request.IsFinished = true;
        try
        {
            telemetry.OnEnd(request, reason, error);
        }
        catch (Exception e)
        {
            logger.EndNotRecorded(e, request.Id);
        }
        if (request.PageTable is not null)
        {
            try
            {
                pages.Release(request, failed: error is not null);
                pages.Publish();
            }
            catch (Exception e)
            {
                logger.RequestFailed(e, request.Id, "release of its K/V pages");
                (error, last) = (error ?? new DllmGenerationException(request.Id, e), null);
            }
            finally
            {
                running.Remove(request);
            }
        }
        if (last is not null)
            request.Updates.Writer.TryWrite(last);
        request.Updates.Writer.TryComplete(error);
        request.Dispose();
    }
}
