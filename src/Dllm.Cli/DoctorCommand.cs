using System.CommandLine;
using Dllm.Native;
using Microsoft.Extensions.Logging;

namespace Dllm.Cli;

/// <summary><c>dllm doctor</c>: loads the native backend, prints what it loaded, and checks the device.</summary>
internal static class DoctorCommand
{
    /// <summary>The command with its options and action.</summary>
    public static Command Create()
    {
        var device = CommonOptions.Device();
        var libTorchDir = CommonOptions.LibTorchDir();
        var command = new Command("doctor", "Load the TorchSharp backend, report it, and run bf16 matmul and attention checks on the device.")
        {
            device, libTorchDir,
        };
        command.SetAction(parse => Run(parse.GetValue(device), parse.GetValue(libTorchDir)));
        return command;
    }

    private static int Run(string? deviceSpec, string? libTorchDir)
    {
        using var logging = CliLogging.Create();
        var logger = logging.CreateLogger("dllm.doctor");
        TorchBackendReport report;
        try
        {
            report = TorchBackend.Initialize(new TorchBackendOptions { LibTorchDirectory = libTorchDir }, logger);
        }
        catch (Exception e) when (e is TorchBackendException or PlatformNotSupportedException)
        {
            Console.Error.WriteLine($"dllm doctor: FAILED to load the native backend.{Environment.NewLine}{e.Message}");
            return 2;
        }
        Console.WriteLine(report);
        var target = TorchDevices.Resolve(deviceSpec, report);
        Console.WriteLine($"checks on:         {target}");
        bool ok = true;
        foreach (var check in BackendSelfTest.Run(target))
        {
            Console.WriteLine($"  [{(check.Passed ? "ok" : "FAIL")}] {check.Name}: max rel error {check.MaxError:E2}; {check.Detail}");
            ok &= check.Passed;
        }
        Console.WriteLine(ok ? "dllm doctor: PASSED" : "dllm doctor: FAILED");
        return ok ? 0 : 1;
    }
}
