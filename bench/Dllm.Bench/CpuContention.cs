using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Dllm.Bench;

/// <summary>
/// <c>--mode cpu-contention</c>: the CPU engine's decode throughput (<see cref="CpuDecode"/>) with 0 or N busy-loop
/// processes beside it, for three set-ups, each in a fresh process (OpenMP reads its wait policy once, at load):
/// before (OpenMP's default wait policy, libtorch's default threads), after (PASSIVE, the default threads), and after
/// with one thread fewer than the CPUs. Prints a table and writes all rows, with date, commit and command, to <c>--json</c>.
/// </summary>
internal static class CpuContention
{
    public static async Task<int> RunAsync(BenchOptions options, string[] args, ILogger logger)
    {
        int cpus = Environment.ProcessorCount;
        var setups = new List<(string Name, string Policy, int? Threads)>
        {
            ("before: OpenMP default wait, default threads", "default", null),
            ("after: PASSIVE, default threads", "PASSIVE", null),
        };
        if (cpus > 1)
            setups.Add(($"after: PASSIVE, --cpu-threads {cpus - 1}", "PASSIVE", cpus - 1));
        var rows = new List<(string Setup, CpuDecodeRow Row)>();
        foreach (int busy in options.BusyProcesses)
        {
            var loops = Enumerable.Range(0, busy).Select(_ => Process.Start("/bin/sh", ["-c", "while :; do :; done"])).ToList();
            try
            {
                foreach (var (name, policy, threads) in setups)
                {
                    string json = Path.Combine(Path.GetTempPath(), $"dllm-cpu-decode-{Guid.NewGuid():N}.json");
                    var child = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
                    foreach (string arg in ChildArgs(options, policy, threads, json))
                        child.ArgumentList.Add(arg);
                    child.Environment["DLLM_BENCH_BUSY_PROCESSES"] = busy.ToString(CultureInfo.InvariantCulture);
                    child.Environment.Remove("OMP_WAIT_POLICY");
                    logger.LogInformation("{Busy} busy processes, {Setup}", busy, name);
                    using var process = Process.Start(child)!;
                    await process.WaitForExitAsync();
                    if (process.ExitCode != 0)
                        throw new InvalidOperationException($"the cpu-decode child exited {process.ExitCode}");
                    foreach (var row in JsonSerializer.Deserialize<List<CpuDecodeRow>>(await File.ReadAllTextAsync(json))!)
                        rows.Add((name, row));
                    File.Delete(json);
                }
            }
            finally
            {
                foreach (var loop in loops)
                {
                    loop.Kill();
                    loop.WaitForExit();
                    loop.Dispose();
                }
            }
        }

        string commit = Git("rev-parse", "--short", "HEAD");
        string command = "dotnet run --project bench/Dllm.Bench -c Release -- " + string.Join(' ', args);
        Console.WriteLine($"CPU under contention: demo model, fp32, {options.NewTokens} new tokens per request, {cpus} CPUs, {DateTime.UtcNow:u}, commit {commit}");
        Console.WriteLine("| busy processes | set-up | wait policy | threads | concurrent requests | tokens/s (median) | min–max | steps/s |");
        Console.WriteLine("|---:|---|---|---:|---:|---:|---:|---:|");
        foreach (var (setup, r) in rows)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.BusyProcesses} | {setup} | {r.WaitPolicy} | {r.Threads} | {r.Concurrency} | {r.TokensPerSecond:F1} | {r.MinTokensPerSecond:F1}–{r.MaxTokensPerSecond:F1} | {r.StepsPerSecond:F1} |"));
        var report = new { date = DateTime.UtcNow.ToString("u", CultureInfo.InvariantCulture), commit, command, cpus, rows = rows.Select(x => new { setup = x.Setup, x.Row }) };
        await File.WriteAllTextAsync(options.Json, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    private static IEnumerable<string> ChildArgs(BenchOptions options, string policy, int? threads, string json)
    {
        if (Environment.GetCommandLineArgs()[0] is string self && self.EndsWith(".dll", StringComparison.Ordinal))
            yield return self; // run through the dotnet host
        foreach (string arg in new[] { "--mode", "cpu-decode", "--omp-wait-policy", policy, "--json", json,
            "--concurrency", string.Join(',', options.Concurrency), "--new-tokens", options.NewTokens.ToString(CultureInfo.InvariantCulture),
            "--repeats", options.Repeats.ToString(CultureInfo.InvariantCulture) })
            yield return arg;
        if (threads is int n)
        {
            yield return "--cpu-threads";
            yield return n.ToString(CultureInfo.InvariantCulture);
        }
    }

    private static string Git(params string[] args)
    {
        try
        {
            var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string arg in args)
                start.ArgumentList.Add(arg);
            using var git = Process.Start(start)!;
            string output = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 ? output : "unknown";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}
