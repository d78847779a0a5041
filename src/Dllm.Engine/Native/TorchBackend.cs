using Dllm.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;

namespace Dllm.Native;

/// <summary>
/// Loads the native libtorch + LibTorchSharp pair exactly once per process, in an order that works for
/// each runtime (a runtime package's libtorch in the app's output, or an existing libtorch), and reports what it
/// loaded. Call <see cref="Initialize"/> before any other TorchSharp call; later calls return the first report.
/// </summary>
public static class TorchBackend
{
    private const string LibTorchSharpFile = "libLibTorchSharp.so";

    /// <summary>
    /// The folder of the app's output (next to its assembly) where an app may carry its libtorch outside .NET's native
    /// probing, as the dllm tool does: loaded when no other libtorch is requested, so --libtorch-dir can replace it.
    /// </summary>
    public const string BundledLibTorchFolder = "libtorch";

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
        string? requested = options.LibTorchDirectory ?? NullIfEmpty(Environment.GetEnvironmentVariable(TorchBackendOptions.LibTorchDirectoryVariable));
        var (libTorchDir, appOwn) = ChooseLibTorch(libTorchSharp, requested);

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
        // TorchSharp's own loader has run by now: a second libtorch it found would show here.
        string mapped = EnsureOneLibTorchMapped(libTorchDir);
        int deviceCount = cuda ? torch.cuda.device_count() : 0;
        var device = cuda ? CudaDriver.Describe(0) : null;
        return new TorchBackendReport
        {
            Runtime = DescribeRuntime(appOwn, hasCuda, requested is not null),
            LibTorchDirectory = libTorchDir,
            LibTorchMapped = mapped,
            LibTorchVersion = LibTorchVersionProbe.Find(libTorchDir, appOwn),
            LibTorchSharpPath = libTorchSharp,
            LibStdCxxFix = fix,
            OpenMpWaitPolicy = waitPolicy,
            CudaAvailable = cuda,
            CudaDeviceCount = deviceCount,
            DeviceName = device?.Name,
            DeviceMemoryBytes = device?.TotalBytes,
        };
    }

    /// <summary>
    /// The libtorch directory to load and whether it is the app's own: the one next to LibTorchSharp (a runtime
    /// package's, which .NET's native probing also finds, so no other may be loaded beside it), else the requested one,
    /// else the app's <see cref="BundledLibTorchFolder"/> folder, else the first on <c>LD_LIBRARY_PATH</c>.
    /// </summary>
    private static (string Directory, bool AppOwn) ChooseLibTorch(string libTorchSharp, string? requested)
    {
        string shippedDir = Path.GetDirectoryName(libTorchSharp)!;
        bool shipsLibTorch = File.Exists(Path.Combine(shippedDir, "libtorch_cpu.so"));
        if (requested is not null)
        {
            if (shipsLibTorch && !SameDirectory(requested, shippedDir))
            {
                throw new TorchBackendException(
                    $"This app ships its own libtorch ({shippedDir}, from a Dllm runtime package) and {TorchBackendOptions.LibTorchDirectoryVariable}/--libtorch-dir asks for another ({requested}). " +
                    "Two libtorch copies in one process abort it. To use an existing libtorch, run an app without a Dllm runtime package " +
                    "(remove the Dllm.Runtime.* package reference; in this repository build with -p:DllmTorchBackend=external, as eng/gpu/pack.sh builds dllm), " +
                    "or install the dllm tool, which accepts --libtorch-dir; or unset the option.");
            }
            return (Path.GetFullPath(requested), shipsLibTorch);
        }
        if (shipsLibTorch)
            return (shippedDir, true);
        string bundledDir = Path.Combine(AppContext.BaseDirectory, BundledLibTorchFolder);
        if (File.Exists(Path.Combine(bundledDir, "libtorch_cpu.so")))
            return (bundledDir, true);
        string? onPath = FindOnLibraryPath();
        return onPath is not null ? (onPath, false) : throw new TorchBackendException(
            $"No libtorch found (none in the app's output next to {libTorchSharp} or in {bundledDir}, none on LD_LIBRARY_PATH). {MissingRuntimeAdvice}");
    }

    /// <summary>
    /// Returns the one <c>libtorch_cpu.so</c> mapped into the process (<c>/proc/self/maps</c>); throws when there are two
    /// (a second copy found by .NET's native probing, which aborts the process at the first tensor).
    /// </summary>
    private static string EnsureOneLibTorchMapped(string libTorchDir)
    {
        var mapped = LoadedLibraries.FindAll("libtorch_cpu.so");
        if (mapped.Count != 1)
        {
            throw new TorchBackendException(
                $"Expected one libtorch_cpu.so in the process, from {libTorchDir}; mapped: {(mapped.Count == 0 ? "none" : string.Join(", ", mapped))}. " +
                "Two libtorch copies in one process abort it: an app with a runtime package's libtorch next to LibTorchSharp cannot load another.");
        }
        return mapped[0];
    }

    private static string DescribeRuntime(bool appOwn, bool hasCuda, bool requested) => (appOwn, requested) switch
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

    private static bool SameDirectory(string a, string b) =>
        string.Equals(Path.GetFullPath(a).TrimEnd('/'), Path.GetFullPath(b).TrimEnd('/'), StringComparison.Ordinal);

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
