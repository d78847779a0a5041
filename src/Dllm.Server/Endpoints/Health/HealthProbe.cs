using Dllm.Server.Diagnostics;
using Dllm.Decoding;
using Dllm.Server.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dllm.Server.Endpoints.Health;

/// <summary>
/// SGLang's health check: healthy when a one-token generation succeeds. As in SGLang the generation is skipped when
/// the engine is busy or produced output recently (it is evidently healthy), and concurrent probes share one
/// generation. The probe's prompt is one token short of a block, so its block has a single masked slot and
/// resolves in one denoising step.
/// </summary>
internal sealed class HealthProbe(DllmServerState state, RequestTracker tracker, IOptions<DllmServerOptions> options, ILogger<HealthProbe> logger)
{
    private readonly Lock _gate = new();
    private Task<bool>? _running;

    /// <summary>Whether the server can generate now.</summary>
    public async Task<bool> CheckAsync(CancellationToken cancellationToken)
    {
        if (!state.TryGetReady(out var engine, out _))
            return false;
        if (engine.RunningRequests > 0 || tracker.SinceLastActivity < options.Value.HealthRecentActivity)
            return true;
        Task<bool> probe;
        lock (_gate)
        {
            if (_running is null || _running.IsCompleted)
                _running = GenerateOneTokenAsync(engine);
            probe = _running;
        }
        return await probe.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> GenerateOneTokenAsync(DllmEngine engine)
    {
        using var timeout = new CancellationTokenSource(options.Value.HealthGenerateTimeout);
        var request = new GenerateRequest
        {
            InputIds = [.. Enumerable.Repeat(engine.Tokenizer.EosTokenId, engine.BlockSize - 1)],
            Sampling = new SamplingParams { MaxNewTokens = 1, IgnoreEos = true },
            RequestId = $"health-{Guid.NewGuid():N}",
        };
        try
        {
            var result = await engine.GenerateAsync(request, timeout.Token).ConfigureAwait(false);
            bool healthy = result.FinishReason.Kind != FinishKind.Abort && result.CompletionTokens == 1;
            if (!healthy)
                logger.HealthGenerationEnded(result.FinishReason.Type, result.FinishReason.Message);
            return healthy;
        }
        catch (Exception e) when (e is DllmGenerationException or DllmQueueFullException)
        {
            logger.HealthGenerationRefused(e.Message); // the engine logged the cause
            return false;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            logger.HealthGenerationTimedOut(options.Value.HealthGenerateTimeout.TotalSeconds);
            return false;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.HealthGenerationFailed(e);
            return false;
        }
    }
}
