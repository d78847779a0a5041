using System.Diagnostics;

namespace Dllm.Server.Tests.Cli;

/// <summary>Runs the real <c>dllm</c> app (dllm.dll) as a child process and captures its output.</summary>
internal static class DllmProcess
{
    public sealed record Result(int ExitCode, string StandardOutput, string StandardError)
    {
        public string All => StandardOutput + StandardError;
    }

    public static async Task<Result> RunAsync(string appDirectory, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(appDirectory, "dllm.dll"));
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
