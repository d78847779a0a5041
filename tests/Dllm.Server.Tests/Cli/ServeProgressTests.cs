using System.Globalization;
using System.Text.RegularExpressions;
using Dllm.Native;
using Dllm.Server.Tests.Infrastructure;
using Dllm.Testing;

namespace Dllm.Server.Tests.Cli;

/// <summary>The model load's progress in <c>dllm serve</c>: log lines every 10 % when redirected, a bar on a terminal.</summary>
public partial class ServeProgressTests
{
    private static readonly Dictionary<string, string?> Environment = new() { [LibStdCxxCompatibility.DisableVariable] = null };

    [GeneratedRegex(@"\[1102\] Loaded +(\d+) %: (\d+)/(\d+) tensors")]
    private static partial Regex ProgressLine();

    private static string[] ServeArgs() =>
        [Path.Combine(AppContext.BaseDirectory, "dllm.dll"), "serve", "--model-path", TinyModels.Peaked, "--port", "0", "--device", "cpu"];

    private static async Task WaitForAsync(ExternalProcess process, string text)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!process.Output.Contains(text, StringComparison.Ordinal))
        {
            Assert.False(process.HasExited, process.Output);
            Assert.True(DateTime.UtcNow < deadline, $"no '{text}' in 2 minutes:\n{process.Output}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Redirected_output_gets_a_log_line_every_ten_percent_and_no_bar()
    {
        using var serve = ExternalProcess.Start("dotnet", ServeArgs(), Environment);
        await WaitForAsync(serve, "[2001] Model ");
        serve.Terminate();
        await serve.WaitForExitAsync(TimeSpan.FromSeconds(30));

        var lines = ProgressLine().Matches(serve.Output).Select(m => (Percent: int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture),
            Done: int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), Total: int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture))).ToList();
        Assert.True(lines.Count >= 3, serve.Output);
        Assert.Equal(100, lines[^1].Percent);
        Assert.Equal(lines[^1].Total, lines[^1].Done);
        for (int i = 1; i < lines.Count - 1; i++)
            Assert.True(lines[i].Percent - lines[i - 1].Percent >= 9, $"{lines[i - 1].Percent} % then {lines[i].Percent} %"); // every 10 % of the bytes (rounded)
        Assert.DoesNotContain("loading [", serve.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", serve.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_terminal_gets_a_progress_bar_instead_of_the_progress_lines()
    {
        string? script = ExternalProcess.Find("script");
        Assert.True(script is not null, "util-linux's script (a pseudo-terminal for the test) is missing");
        string command = string.Join(' ', new[] { "dotnet" }.Concat(ServeArgs()).Select(a => $"'{a}'"));
        using var terminal = ExternalProcess.Start(script!, ["-qfec", command, "/dev/null"], Environment);
        await WaitForAsync(terminal, "[2001] Model ");
        terminal.Kill(); // script and the server under it (the output is read by line: a carriage return ends one too)

        Assert.Matches(@"\u001b\[2Kloading \[#{30}\] 100 %  [0-9.]+/[0-9.]+ GB  [0-9.]+ GB/s  (\d+)/\1 tensors", terminal.Output);
        Assert.DoesNotMatch(ProgressLine(), terminal.Output);
        Assert.Contains("\u001b[2K", terminal.Output.Split('\n').First(l => l.Contains("[2001] Model ", StringComparison.Ordinal)), StringComparison.Ordinal);
    }
}
