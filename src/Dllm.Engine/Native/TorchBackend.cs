using Dllm.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;

namespace Dllm.Native;

/// <summary>
/// Loads the native libtorch + LibTorchSharp pair exactly once per process, in an order that works for
/// each runtime (a runtime package's libtorch in the app's output, or an existing libtorch), and reports what it
/// loaded. Call <see cref="Initialize"/> before any other TorchSharp call; later calls return the first report.
/// </summary>
public static partial class TorchBackend
{
    private const string LibTorchSharpFile = "libLibTorchSharp.so";
    private static readonly string[] CpuLibraries = ["libc10.so", "libtorch_cpu.so"];
    private static readonly string[] CudaLibraries = ["libc10_cuda.so", "libtorch_cuda.so"];
    private static readonly Lock Gate = new();
    private static TorchBackendReport? s_report;

    /// <summary>What to do when no libtorch is found: the one message a missing runtime gives.</summary>
    public const string MissingRuntimeAdvice =
        "Add a Dllm runtime package to the app: Dllm.Runtime.Cpu (libtorch for CPU) or Dllm.Runtime.Cuda (libtorch for CUDA); " +
        "or point --libtorch-dir / " + TorchBackendOptions.LibTorchDirectoryVariable + " at an existing libtorch directory, such as a PyTorch install's torch/lib.";

    /// <summary>The report of the load that already happened, or null before <see cref="Initialize"/>.</summary>
    public static TorchBackendReport? Report => s_report;

    /// <summary>Loads the backend (once) and returns what was loaded.</summary>
    /// <exception cref="PlatformNotSupportedException">Not linux-x64: the only platform the native backend supports.</exception>
    /// <exception cref="TorchBackendException">A library failed to load; the message says which and what to do.</exception>
    public static TorchBackendReport Initialize(TorchBackendOptions? options = null, ILogger? logger = null)
    {
        lock (Gate)
        {
            if (s_report is not null)
                return s_report;
            logger ??= NullLogger.Instance;
            s_report = Load(options ?? new TorchBackendOptions(), logger);
            logger.BackendLoaded(s_report);
            return s_report;
        }
    }

    private static TorchBackendReport Load(TorchBackendOptions options, ILogger logger)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            throw new PlatformNotSupportedException(
                $"Dllm's native backend (TorchSharp + libtorch) runs on linux-x64 only; this process is {RuntimeInformation.RuntimeIdentifier}.");

        string libTorchSharp = FindLibTorchSharp();
        var fix = LibStdCxxCompatibility.Apply(libTorchSharp, logger);
        string shippedDir = Path.GetDirectoryName(libTorchSharp)!;
        bool shipsLibTorch = File.Exists(Path.Combine(shippedDir, "libtorch_cpu.so"));
        string? requested = options.LibTorchDirectory ?? NullIfEmpty(Environment.GetEnvironmentVariable(TorchBackendOptions.LibTorchDirectoryVariable));

        string libTorchDir;
        if (requested is not null)
        {
            if (shipsLibTorch && !SameDirectory(requested, shippedDir))
            {
                throw new TorchBackendException(
                    $"This app ships its own libtorch ({shippedDir}, from a Dllm runtime package) and {TorchBackendOptions.LibTorchDirectoryVariable}/--libtorch-dir asks for another ({requested}). " +
                    "Two libtorch copies in one process abort it. To use an existing libtorch, run an app without a Dllm runtime package " +
                    "(remove the Dllm.Runtime.* package reference; in this repository build with -p:DllmTorchBackend=external, as eng/gpu/pack.sh builds dllm), or unset the option.");
            }
            libTorchDir = Path.GetFullPath(requested);
        }
        else
        {
            libTorchDir = shipsLibTorch ? shippedDir : FindOnLibraryPath()
                ?? throw new TorchBackendException($"No libtorch found (none in the app's output next to {libTorchSharp}, none on LD_LIBRARY_PATH). {MissingRuntimeAdvice}");
        }

        // Before libtorch (and its libgomp) loads: OpenMP reads the variable once, when it loads.
        string waitPolicy = OpenMpEnvironment.ApplyWaitPolicy(options.OpenMpWaitPolicy);
        foreach (string library in CpuLibraries)
            LoadOrThrow(Path.Combine(libTorchDir, library), "libtorch");
        bool hasCuda = CudaLibraries.All(l => File.Exists(Path.Combine(libTorchDir, l)));
        if (hasCuda)
        {
            foreach (string library in CudaLibraries)
                LoadOrThrow(Path.Combine(libTorchDir, library), "libtorch's CUDA backend");
        }
        LoadOrThrow(Path.Combine(libTorchDir, "libtorch.so"), "libtorch");
        LoadLibTorchSharp(libTorchSharp, fix);

        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
        }
        catch (Exception e) when (e is not TorchBackendException)
        {
            throw new TorchBackendException($"TorchSharp could not initialise libtorch from {libTorchDir}: {e.Message}", e);
        }

        bool cuda = false;
        if (hasCuda)
        {
            try
            {
                torch.InitializeDeviceType(DeviceType.CUDA);
                cuda = torch.cuda.is_available();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                logger.CudaBackendFailed(libTorchDir, e.Message);
            }
        }
        int deviceCount = cuda ? torch.cuda.device_count() : 0;
        var device = cuda ? CudaDriver.Describe(0) : null;
        return new TorchBackendReport
        {
            Runtime = DescribeRuntime(shipsLibTorch, hasCuda, requested is not null),
            LibTorchDirectory = libTorchDir,
            LibTorchVersion = FindLibTorchVersion(libTorchDir),
            LibTorchSharpPath = libTorchSharp,
            LibStdCxxFix = fix,
            OpenMpWaitPolicy = waitPolicy,
            CudaAvailable = cuda,
            CudaDeviceCount = deviceCount,
            DeviceName = device?.Name,
            DeviceMemoryBytes = device?.TotalBytes,
        };
    }

    private static string DescribeRuntime(bool shipsLibTorch, bool hasCuda, bool requested) => (shipsLibTorch, requested) switch
    {
        (true, _) => hasCuda ? "package (CUDA libtorch in the app's output)" : "package (CPU libtorch in the app's output)",
        (false, true) => "external (--libtorch-dir / " + TorchBackendOptions.LibTorchDirectoryVariable + ")",
        (false, false) => "external (LD_LIBRARY_PATH)",
    };

    private static string FindLibTorchSharp()
    {
        string baseDir = AppContext.BaseDirectory;
        string[] candidates =
        [
            Path.Combine(baseDir, "runtimes", "linux-x64", "native", LibTorchSharpFile),
            Path.Combine(baseDir, LibTorchSharpFile),
        ];
        return candidates.FirstOrDefault(File.Exists) ?? throw new TorchBackendException(
            $"{LibTorchSharpFile} is not in the app's output ({string.Join(" or ", candidates)}). " +
            "The app must reference the TorchSharp package (through Dllm.Engine) and be built or published for linux-x64.");
    }

    private static void LoadOrThrow(string path, string what)
    {
        if (!File.Exists(path))
            throw new TorchBackendException($"{what}: {path} does not exist. Point {TorchBackendOptions.LibTorchDirectoryVariable} at a complete libtorch directory.");
        try
        {
            NativeLibrary.Load(path);
        }
        catch (DllNotFoundException e)
        {
            throw new TorchBackendException($"{what}: {path} failed to load: {e.Message}", e);
        }
    }

    private static void LoadLibTorchSharp(string path, LibStdCxxFixOutcome fix)
    {
        try
        {
            NativeLibrary.Load(path);
        }
        catch (DllNotFoundException e)
        {
            string advice = e.Message.Contains(LibStdCxxCompatibility.MissingVersion, StringComparison.Ordinal)
                ? $" The system libstdc++ lacks {LibStdCxxCompatibility.MissingVersion} and the compatibility fix was {fix}: " +
                  (fix == LibStdCxxFixOutcome.Disabled
                      ? $"unset {LibStdCxxCompatibility.DisableVariable} so Dllm marks that requirement weak."
                      : "make the app's output directory writable so Dllm can mark that requirement weak, or install libstdc++ from GCC 13+.")
                : " Check that libtorch and LibTorchSharp come from matching versions (TorchSharp 0.107 needs libtorch 2.10+).";
            throw new TorchBackendException($"LibTorchSharp: {path} failed to load: {e.Message}.{advice}", e);
        }
    }

    private static string? FindOnLibraryPath()
    {
        string? paths = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
        return paths?.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(dir => File.Exists(Path.Combine(dir, "libtorch_cpu.so")));
    }

    private static string? FindLibTorchVersion(string libTorchDir)
    {
        // A PyTorch install: torch/lib/../version.py has "__version__ = '2.11.0+cu130'".
        string versionPy = Path.Combine(libTorchDir, "..", "version.py");
        if (File.Exists(versionPy))
        {
            var match = PyTorchVersion().Match(File.ReadAllText(versionPy));
            if (match.Success)
                return match.Groups[1].Value;
        }
        // A NuGet libtorch package folder: .../libtorch-cpu-linux-x64/2.10.0/runtimes/...
        var fromPath = LibTorchPackageFolder().Match(libTorchDir);
        if (fromPath.Success)
            return $"{fromPath.Groups[2].Value} ({fromPath.Groups[1].Value})";
        // The NuGet libtorch package copied into the app: the app's deps.json names it with its version.
        foreach (string deps in Directory.EnumerateFiles(AppContext.BaseDirectory, "*.deps.json"))
        {
            var match = LibTorchPackage().Match(File.ReadAllText(deps));
            if (match.Success)
                return $"{match.Groups[2].Value} ({match.Groups[1].Value})";
        }
        return null;
    }

    private static bool SameDirectory(string a, string b) =>
        string.Equals(Path.GetFullPath(a).TrimEnd('/'), Path.GetFullPath(b).TrimEnd('/'), StringComparison.Ordinal);

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    [GeneratedRegex(@"__version__\s*=\s*'([^']+)'")]
    private static partial Regex PyTorchVersion();

    [GeneratedRegex(@"/(libtorch-[a-z0-9.\-]+)/(\d+\.\d+\.\d+)/")]
    private static partial Regex LibTorchPackageFolder();

    [GeneratedRegex(@"""(libtorch-[a-z0-9.\-]+)/(\d+\.\d+\.\d+)""")]
    private static partial Regex LibTorchPackage();
}
