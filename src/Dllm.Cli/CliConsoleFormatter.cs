using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Dllm.Cli;

/// <summary>
/// The <c>dllm</c> console format: <c>HH:mm:ss level: category[event id] message</c>, one line per entry, except that a
/// message with line breaks of its own (the backend and start-up reports) keeps them, each continuation line indented,
/// so a block stays readable instead of being squashed into one line. An exception's text follows on the next lines.
/// </summary>
/// <remarks>
/// With <see cref="CliConsoleFormatterOptions.ProgressBar"/> (a terminal with <see cref="LoadProgressBar"/>), every entry
/// first erases the bar's line, and the load's own progress lines (event 1102) are left out: the bar shows them.
/// </remarks>
internal sealed class CliConsoleFormatter(IOptionsMonitor<CliConsoleFormatterOptions> options) : ConsoleFormatter(FormatterName)
{
    /// <summary>The engine's load-progress event, which the bar replaces.</summary>
    private const int LoadProgressEvent = 1102;

    /// <summary>The formatter's name in <see cref="ConsoleLoggerOptions.FormatterName"/>.</summary>
    public const string FormatterName = "dllm";

    /// <inheritdoc />
    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        string? message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null)
            return;
        if (options.CurrentValue.ProgressBar)
        {
            if (logEntry.EventId.Id == LoadProgressEvent)
                return;
            textWriter.Write(LoadProgressBar.EraseLine);
        }
        textWriter.Write(DateTime.Now.ToString("HH:mm:ss ", CultureInfo.InvariantCulture));
        textWriter.Write(Abbreviation(logEntry.LogLevel));
        textWriter.Write(": ");
        textWriter.Write(logEntry.Category);
        textWriter.Write('[');
        textWriter.Write(logEntry.EventId.Id.ToString(CultureInfo.InvariantCulture));
        textWriter.Write("] ");
        WriteIndented(textWriter, message?.TrimEnd());
        if (logEntry.Exception is not null)
        {
            textWriter.Write('\n');
            textWriter.Write(logEntry.Exception.ToString());
        }
        textWriter.Write('\n');
    }

    /// <summary>The message, each of its own continuation lines indented by <see cref="Indent"/> under the entry's first line.</summary>
    private static void WriteIndented(TextWriter writer, string? message)
    {
        var rest = message.AsSpan();
        for (int line = 0; ; line++)
        {
            int end = rest.IndexOf('\n');
            if (line > 0)
                writer.Write(Indent);
            writer.Write(end < 0 ? rest : rest[..end].TrimEnd('\r'));
            if (end < 0)
                return;
            writer.Write('\n');
            rest = rest[(end + 1)..];
        }
    }

    /// <summary>The indentation of a message's continuation lines.</summary>
    public const string Indent = "    ";

    private static string Abbreviation(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };
}
