using Microsoft.Extensions.Logging;

namespace Dllm.Cli;

/// <summary>
/// The <c>dllm</c> command's log events (source-generated). Event ids 3000-3999, stable (table in
/// docs/operations.md). Never renumber one; retire it instead.
/// </summary>
internal static partial class CliLog
{
    // 3000-3099: dllm serve.
    [LoggerMessage(EventId = 3000, EventName = "ServeListening", Level = LogLevel.Information, Message = "dllm serve listening on {Urls}{Demo}")]
    public static partial void ServeListening(this ILogger logger, string urls, string demo);

    [LoggerMessage(EventId = 3001, EventName = "BindFailure", Level = LogLevel.Debug, Message = "Bind failure")]
    public static partial void BindFailure(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3002, EventName = "ServingDemoModel", Level = LogLevel.Warning, Message = "No --model-path: serving the built-in DEMO model from {Path}: a small 7 M-parameter LLaDA2 model trained by dllm train, not LLaDA2.0-mini. It can count (\"Write the number from 1 to N\"), call its two demo tools and little else (docs/demo-model.md). Pass --model-path <checkpoint directory> to serve a real model.")]
    public static partial void ServingDemoModel(this ILogger logger, string path);

    // 3100-3199: dllm synth.
    [LoggerMessage(EventId = 3100, EventName = "SynthProgress", Level = LogLevel.Information, Message = "Wrote {Done}/{Total} tensors ({GB:F2}/{TotalGB:F2} GB)")]
    public static partial void SynthProgress(this ILogger logger, int done, int total, double gb, double totalGB);

    // 3200-3299: dllm train.
    [LoggerMessage(EventId = 3200, EventName = "Trained", Level = LogLevel.Information, Message = "Trained {Parameters:N0} parameters; checkpoint {Directory}, report {Report}")]
    public static partial void Trained(this ILogger logger, long parameters, string directory, string report);
}
