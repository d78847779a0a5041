using System.Diagnostics;
using System.Globalization;
using Dllm.Checkpoints;

namespace Dllm.Cli;

/// <summary>
/// The model load as a one-line progress bar on a terminal's standard error (<c>dllm serve</c>): redrawn in place at
/// most ten times a second, erased by any log entry that comes meanwhile (<see cref="CliConsoleFormatter"/> starts every
/// entry with <see cref="EraseLine"/> on a terminal), and left as a final line at 100 %. Not for redirected output: there
/// the engine's log lines give the progress every 10 %.
/// </summary>
internal sealed class LoadProgressBar(TextWriter terminal) : IProgress<CheckpointLoadProgress>
{
    /// <summary>Carriage return and ANSI "erase the whole line": the cursor is back at the start of an empty line.</summary>
    public const string EraseLine = "\r\u001b[2K";

    private const int Width = 30;
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private readonly Stopwatch _sinceDrawn = new();

    /// <summary>Whether standard error is a terminal that can take a redrawn line (not redirected, not <c>TERM=dumb</c>).</summary>
    public static bool IsTerminal =>
        !Console.IsErrorRedirected && !string.Equals(Environment.GetEnvironmentVariable("TERM"), "dumb", StringComparison.Ordinal);

    /// <inheritdoc />
    public void Report(CheckpointLoadProgress value)
    {
        bool last = value.TensorsDone >= value.TensorsTotal;
        if (!last && _sinceDrawn.IsRunning && _sinceDrawn.Elapsed < Interval)
            return;
        _sinceDrawn.Restart();
        terminal.Write(EraseLine + Render(value) + (last ? "\n" : ""));
        terminal.Flush();
    }

    /// <summary>The bar's text: <c>loading [#####-----]  45 %  0.50/1.10 GB  1.20 GB/s  1234/3500 tensors</c>.</summary>
    internal static string Render(CheckpointLoadProgress value)
    {
        int filled = (int)Math.Round(value.Fraction * Width);
        return string.Create(CultureInfo.InvariantCulture,
            $"loading [{new string('#', filled)}{new string('-', Width - filled)}] {value.Fraction * 100,3:F0} %  {value.BytesDone / 1e9:F2}/{value.BytesTotal / 1e9:F2} GB  {value.BytesPerSecond / 1e9:F2} GB/s  {value.TensorsDone}/{value.TensorsTotal} tensors");
    }
}
