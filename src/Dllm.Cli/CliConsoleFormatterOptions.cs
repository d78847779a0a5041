using Microsoft.Extensions.Logging.Console;

namespace Dllm.Cli;

/// <summary>Options of <see cref="CliConsoleFormatter"/>.</summary>
internal sealed class CliConsoleFormatterOptions : ConsoleFormatterOptions
{
    /// <summary>A <see cref="LoadProgressBar"/> shares the terminal: erase its line before each entry and leave out the load's progress lines.</summary>
    public bool ProgressBar { get; set; }
}
