using Microsoft.Extensions.Logging;

namespace Dllm.Cli;

/// <summary>The console logger every command uses.</summary>
internal static class CliLogging
{
    /// <summary>A console logger factory writing to standard error, so standard output stays the command's result.</summary>
    public static ILoggerFactory Create(LogLevel minimum = LogLevel.Information) =>
        LoggerFactory.Create(builder => Configure(builder, minimum));

    /// <summary>Single-line, time-stamped console logging to standard error.</summary>
    public static ILoggingBuilder Configure(ILoggingBuilder builder, LogLevel minimum = LogLevel.Information) => builder
        .SetMinimumLevel(minimum)
        .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; })
        .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
}
