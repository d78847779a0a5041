using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Dllm.Server.Diagnostics;

/// <summary>
/// The server's log events (source-generated). Event ids 2000-2999, stable: an operator's alert or filter may key
/// on them (table in docs/operations.md). Never renumber one; retire it instead.
/// </summary>
internal static partial class ServerLog
{
    // 2000-2099: the model's life in the host.
    [LoggerMessage(EventId = 2000, EventName = "ModelLoading", Level = LogLevel.Information, Message = "Loading model {Path} ({Algorithm}, device {Device}, dtype {DType}, load format {Format}, max running requests {Slots})")]
    public static partial void ModelLoading(this ILogger logger, string path, string algorithm, string device, string dtype, LoadFormat format, int slots);

    [LoggerMessage(EventId = 2001, EventName = "ModelLoaded", Level = LogLevel.Information, Message = "Model {Model} loaded in {Seconds:F1} s:\n{Report}")]
    public static partial void ModelLoaded(this ILogger logger, string model, double seconds, string report);

    [LoggerMessage(EventId = 2002, EventName = "ModelLoadCancelled", Level = LogLevel.Information, Message = "Model load cancelled by the shutdown after {Seconds:F1} s")]
    public static partial void ModelLoadCancelled(this ILogger logger, double seconds);

    [LoggerMessage(EventId = 2003, EventName = "ModelLoadFailed", Level = LogLevel.Critical, Message = "The model failed to load: {Message}")]
    public static partial void ModelLoadFailed(this ILogger logger, string message);

    [LoggerMessage(EventId = 2004, EventName = "ModelLoadFailure", Level = LogLevel.Debug, Message = "Load failure")]
    public static partial void ModelLoadFailure(this ILogger logger, Exception exception);

    // 2100-2199: shutdown and drain.
    [LoggerMessage(EventId = 2100, EventName = "Draining", Level = LogLevel.Information, Message = "Draining {Count} running requests (at most {Seconds:F1} s)")]
    public static partial void Draining(this ILogger logger, int count, double seconds);

    [LoggerMessage(EventId = 2101, EventName = "AbortingAtShutdown", Level = LogLevel.Warning, Message = "Aborting {Count} requests still running at shutdown")]
    public static partial void AbortingAtShutdown(this ILogger logger, int count);

    [LoggerMessage(EventId = 2102, EventName = "DrainTimeRanOut", Level = LogLevel.Warning, Message = "The shutdown time ran out while running requests drained")]
    public static partial void DrainTimeRanOut(this ILogger logger);

    [LoggerMessage(EventId = 2103, EventName = "ReleaseTimeRanOut", Level = LogLevel.Warning, Message = "The shutdown time ran out before the engine could be released")]
    public static partial void ReleaseTimeRanOut(this ILogger logger);

    [LoggerMessage(EventId = 2104, EventName = "ServerStopped", Level = LogLevel.Information, Message = "Server stopped")]
    public static partial void ServerStopped(this ILogger logger);

    // 2200-2299: requests.
    [LoggerMessage(EventId = 2200, EventName = "ClientWentAway", Level = LogLevel.Debug, Message = "{Method} {Path}: the client went away")]
    public static partial void ClientWentAway(this ILogger logger, string method, PathString path);

    [LoggerMessage(EventId = 2201, EventName = "EndpointFailed", Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    public static partial void EndpointFailed(this ILogger logger, Exception exception, string method, PathString path);

    [LoggerMessage(EventId = 2202, EventName = "RequestServerError", Level = LogLevel.Warning, Message = "{Method} {Path}: {Status} {Message}")]
    public static partial void RequestServerError(this ILogger logger, string method, PathString path, int status, string message);

    /// <summary>A request refused with a client error (or 503): Information, or Debug for a probe (one every few seconds).</summary>
    [LoggerMessage(EventId = 2203, EventName = "RequestRefused", Message = "{Method} {Path}: {Status} {Message}")]
    public static partial void RequestRefused(this ILogger logger, LogLevel level, string method, PathString path, int status, string message);

    [LoggerMessage(EventId = 2204, EventName = "StreamEndedByError", Level = LogLevel.Warning, Message = "{Path}: stream ended by an error: {Message}")]
    public static partial void StreamEndedByError(this ILogger logger, PathString path, string message);

    [LoggerMessage(EventId = 2205, EventName = "StreamFailed", Level = LogLevel.Error, Message = "{Path}: stream ended by an error")]
    public static partial void StreamFailed(this ILogger logger, Exception exception, PathString path);

    [LoggerMessage(EventId = 2206, EventName = "AbortedAll", Level = LogLevel.Information, Message = "Aborted {Count} requests (abort_all)")]
    public static partial void AbortedAll(this ILogger logger, int count);

    [LoggerMessage(EventId = 2207, EventName = "AbortRequested", Level = LogLevel.Information, Message = "Abort of request {Id}: {Outcome}")]
    public static partial void AbortRequested(this ILogger logger, string id, string outcome);

    // 2300-2399: health.
    [LoggerMessage(EventId = 2300, EventName = "HealthGenerationEnded", Level = LogLevel.Warning, Message = "Health generation ended with {Reason}: {Message}")]
    public static partial void HealthGenerationEnded(this ILogger logger, string reason, string? message);

    [LoggerMessage(EventId = 2301, EventName = "HealthGenerationRefused", Level = LogLevel.Warning, Message = "Health generation failed: {Message}")]
    public static partial void HealthGenerationRefused(this ILogger logger, string message);

    [LoggerMessage(EventId = 2302, EventName = "HealthGenerationFailed", Level = LogLevel.Warning, Message = "Health generation failed")]
    public static partial void HealthGenerationFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2303, EventName = "HealthGenerationTimedOut", Level = LogLevel.Warning, Message = "Health generation took longer than {Seconds} s (the health-check timeout)")]
    public static partial void HealthGenerationTimedOut(this ILogger logger, double seconds);
}
