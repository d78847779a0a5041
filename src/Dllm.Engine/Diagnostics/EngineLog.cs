using Microsoft.Extensions.Logging;

namespace Dllm.Diagnostics;

/// <summary>
/// The engine's log events (source-generated, allocation-free when disabled). Event ids 1000-1999, stable: an
/// operator's alert or filter may key on them (table in docs/operations.md). Never renumber one; retire it instead.
/// </summary>
internal static partial class EngineLog
{
    // 1000-1099: the native backend.
    [LoggerMessage(EventId = 1000, EventName = "BackendLoaded", Level = LogLevel.Information, Message = "TorchSharp backend loaded:\n{Report}")]
    public static partial void BackendLoaded(this ILogger logger, Native.TorchBackendReport report);

    [LoggerMessage(EventId = 1001, EventName = "CudaBackendFailed", Level = LogLevel.Warning, Message = "libtorch's CUDA backend is present in {Dir} but did not initialise: {Message}")]
    public static partial void CudaBackendFailed(this ILogger logger, string dir, string message);

    [LoggerMessage(EventId = 1002, EventName = "LibStdCxxUnfixable", Level = LogLevel.Warning, Message = "The system libstdc++ ({Path}) lacks {Versions} needed by {Library}; only {Fixable} can be made weak.")]
    public static partial void LibStdCxxUnfixable(this ILogger logger, string path, string versions, string library, string fixable);

    [LoggerMessage(EventId = 1003, EventName = "LibStdCxxNotWritable", Level = LogLevel.Error, Message = "Cannot write {Library} to mark {Version} weak.")]
    public static partial void LibStdCxxNotWritable(this ILogger logger, Exception exception, string library, string version);

    [LoggerMessage(EventId = 1004, EventName = "LibStdCxxPatched", Level = LogLevel.Information, Message = "Marked the {Version} requirement of {Library} weak (system libstdc++: {LibStdCxx}).")]
    public static partial void LibStdCxxPatched(this ILogger logger, string version, string library, string libStdCxx);

    [LoggerMessage(EventId = 1005, EventName = "CpuThreadsSet", Level = LogLevel.Information, Message = "CPU: {Threads} intra-op threads (of {Allowed} CPUs this process may use), OpenMP wait policy {WaitPolicy}")]
    public static partial void CpuThreadsSet(this ILogger logger, int threads, int allowed, string waitPolicy);

    // 1100-1199: loading.
    [LoggerMessage(EventId = 1100, EventName = "LoadingDummyWeights", Level = LogLevel.Information, Message = "Loading {Directory} with dummy weights (random, seed {Seed}) as {DType}: {Placement}")]
    public static partial void LoadingDummyWeights(this ILogger logger, string directory, long seed, TorchSharp.torch.ScalarType dtype, Model.ModelPlacement placement);

    [LoggerMessage(EventId = 1101, EventName = "LoadingCheckpoint", Level = LogLevel.Information, Message = "Loading {Directory}: {Files} safetensors file(s), {GB:F2} GB, as {DType}: {Placement}")]
    public static partial void LoadingCheckpoint(this ILogger logger, string directory, int files, double gb, TorchSharp.torch.ScalarType dtype, Model.ModelPlacement placement);

    [LoggerMessage(EventId = 1102, EventName = "LoadProgress", Level = LogLevel.Information, Message = "Loaded {Percent:F0} %: {Done}/{Total} tensors, {GB:F2}/{TotalGB:F2} GB ({Rate:F2} GB/s)")]
    public static partial void LoadProgress(this ILogger logger, double percent, int done, int total, double gb, double totalGB, double rate);

    [LoggerMessage(EventId = 1103, EventName = "ModelReady", Level = LogLevel.Information, Message = "Model ready in {Seconds:F1} s")]
    public static partial void ModelReady(this ILogger logger, double seconds);

    [LoggerMessage(EventId = 1104, EventName = "ModelReadyFromDisk", Level = LogLevel.Information, Message = "Model ready in {Seconds:F1} s ({Rate:F2} GB/s from disk)")]
    public static partial void ModelReadyFromDisk(this ILogger logger, double seconds, double rate);

    [LoggerMessage(EventId = 1105, EventName = "LayerLoaded", Level = LogLevel.Debug, Message = "Loaded layer {Layer}/{Layers} on {Device} ({Elapsed:F1} s)")]
    public static partial void LayerLoaded(this ILogger logger, int layer, int layers, TorchSharp.torch.Device device, double elapsed);

    [LoggerMessage(EventId = 1106, EventName = "WritingDemoModel", Level = LogLevel.Information, Message = "Writing the demo model into {Directory} (once)")]
    public static partial void WritingDemoModel(this ILogger logger, string directory);

    // 1200-1299: the engine.
    [LoggerMessage(EventId = 1200, EventName = "MaskIdMismatch", Level = LogLevel.Warning, Message = "tokenizer.json's <|mask|> is {TokenizerMask} but config.json's mask_token_id is {ConfigMask}; using config.json's")]
    public static partial void MaskIdMismatch(this ILogger logger, int tokenizerMask, int configMask);

    [LoggerMessage(EventId = 1201, EventName = "CudaGraphsOff", Level = LogLevel.Warning, Message = "CUDA graphs off, steps run op by op: {Reason}")]
    public static partial void CudaGraphsOff(this ILogger logger, string reason);

    [LoggerMessage(EventId = 1202, EventName = "CudaGraphsOn", Level = LogLevel.Information, Message = "CUDA graphs on: steps are captured per batch shape and replayed, batch sizes {BatchSizes}")]
    public static partial void CudaGraphsOn(this ILogger logger, string batchSizes);

    [LoggerMessage(EventId = 1203, EventName = "KvCacheAllocated", Level = LogLevel.Information, Message = "K/V cache: {Pages} pages x {PageSize} positions ({Tokens} tokens, sized by {SizedBy}), {GB:F2} GB; prefix cache {PrefixCache}")]
    public static partial void KvCacheAllocated(this ILogger logger, int pages, int pageSize, long tokens, string sizedBy, double gb, string prefixCache);

    [LoggerMessage(EventId = 1204, EventName = "EngineStopped", Level = LogLevel.Information, Message = "Engine stopped")]
    public static partial void EngineStopped(this ILogger logger);

    // 1300-1399: the scheduler.
    [LoggerMessage(EventId = 1300, EventName = "IterationFailed", Level = LogLevel.Error, Message = "Scheduler iteration failed; failing the {Count} running requests")]
    public static partial void IterationFailed(this ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 1301, EventName = "BatchedStepFailed", Level = LogLevel.Warning, Message = "A batched step of {Count} requests failed ({Error}); retrying them one at a time")]
    public static partial void BatchedStepFailed(this ILogger logger, int count, string error);

    [LoggerMessage(EventId = 1302, EventName = "RequestFailed", Level = LogLevel.Error, Message = "Request {Id} failed in its {Stage}; ending it with an error (the other requests go on)")]
    public static partial void RequestFailed(this ILogger logger, Exception exception, string id, string stage);

    [LoggerMessage(EventId = 1303, EventName = "RequestWaitsForPages", Level = LogLevel.Debug, Message = "Request {Id} waits for {Pages} K/V pages ({Free} free, {Evictable} cached and unreferenced, of {Total}); it is admitted when running requests end")]
    public static partial void RequestWaitsForPages(this ILogger logger, string id, int pages, int free, int evictable, int total);

    [LoggerMessage(EventId = 1304, EventName = "RequestRetracted", Level = LogLevel.Information, Message = "Request {Id} retracted to give request {For} its next K/V page: {Pages} pages released, {Tokens} output tokens kept; it waits at the head of the queue")]
    public static partial void RequestRetracted(this ILogger logger, string id, string @for, int pages, int tokens);

    [LoggerMessage(EventId = 1305, EventName = "BatchedPrefillFailed", Level = LogLevel.Warning, Message = "A batched prefill of {Count} requests failed ({Error}); prefilling them one at a time")]
    public static partial void BatchedPrefillFailed(this ILogger logger, int count, string error);

    [LoggerMessage(EventId = 1306, EventName = "EndNotRecorded", Level = LogLevel.Warning, Message = "Recording the end of request {Id} failed in a telemetry listener; the request ends as it would have")]
    public static partial void EndNotRecorded(this ILogger logger, Exception exception, string id);

    [LoggerMessage(EventId = 1307, EventName = "SchedulerFailed", Level = LogLevel.Critical, Message = "The scheduler thread failed; ending the {Count} running and waiting requests with an error, and refusing new ones")]
    public static partial void SchedulerFailed(this ILogger logger, Exception exception, int count);
}
