using System.Diagnostics;
using System.Text;

namespace Dllm.Server.Tests.Infrastructure;

/// <summary>A child process whose output is collected while it runs.</summary>
internal sealed class ExternalProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ExternalProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Standard output and error so far, interleaved by line.</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public static ExternalProcess Start(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null)
            start.WorkingDirectory = workingDirectory;
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
            start.Environment[key] = value;
        return new ExternalProcess(Process.Start(start)!);
    }

    /// <summary>Runs it (and the processes it starts from now on) below normal priority, so it yields the CPU to other tests.</summary>
    public void LowerPriority() => _process.PriorityClass = ProcessPriorityClass.BelowNormal;

    /// <summary>Looks a program up on PATH.</summary>
    public static string? Find(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        _process.WaitForExit(); // flush the asynchronous output readers
        return _process.ExitCode;
    }

    /// <summary>Sends SIGTERM, as a service manager stops a server.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
    }

    /// <summary>Ends it and every process it started, at once (SIGKILL), and waits for its output.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
