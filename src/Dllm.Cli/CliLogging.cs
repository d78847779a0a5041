using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Dllm.Cli;

/// <summary>The console logger every command uses.</summary>
internal static class CliLogging
{
    /// <summary>A console logger factory writing to standard error, so standard output stays the command's result.</summary>
    public static ILoggerFactory Create(LogLevel minimum = LogLevel.Information) =>
        LoggerFactory.Create(builder => Configure(builder, minimum));

    /// <summary>
    /// Time-stamped console logging to standard error in the <see cref="CliConsoleFormatter"/> format, from
    /// <paramref name="minimum"/> up. ASP.NET Core's own categories log from Warning (or <paramref name="minimum"/>
    /// when higher): its per-request Information lines would drown the server's.
    /// </summary>
    /// <param name="builder">The logging builder.</param>
    /// <param name="minimum">The least severe level written.</param>
    /// <param name="progressBar">A <see cref="LoadProgressBar"/> draws on the same terminal: erase its line before each entry, leave out the load's progress lines.</param>
    public static ILoggingBuilder Configure(ILoggingBuilder builder, LogLevel minimum = LogLevel.Information, bool progressBar = false) => builder
        .SetMinimumLevel(minimum)
        .AddFilter("Microsoft.AspNetCore", minimum > LogLevel.Warning ? minimum : LogLevel.Warning)
        .AddConsole(o =>
        {
            o.FormatterName = CliConsoleFormatter.FormatterName;
            o.LogToStandardErrorThreshold = LogLevel.Trace;
        })
        .AddConsoleFormatter<CliConsoleFormatter, CliConsoleFormatterOptions>(o => o.ProgressBar = progressBar);
}
