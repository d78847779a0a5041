using Dllm.Diagnostics;
using System.Runtime.Versioning;
using Microsoft.Extensions.Logging;

namespace Dllm.Native;

/// <summary>
/// Makes TorchSharp's <c>libLibTorchSharp.so</c> loadable on systems whose libstdc++ is older than the
/// one it was built with (Debian 12, Ubuntu 22.04 stop at <c>GLIBCXX_3.4.30</c>; the library asks for
/// <c>GLIBCXX_3.4.32</c> only for <c>std::ios_base_library_init</c>, which it never calls).
/// The requirement is marked weak (<c>VER_FLG_WEAK</c> in <c>.gnu.version_r</c>) in the app's own copy of
/// the library, in place, before TorchSharp loads it. Idempotent; the NuGet cache is never touched.
/// </summary>
internal static class LibStdCxxCompatibility
{
    /// <summary>The version newer toolchains require and older systems lack.</summary>
    public const string MissingVersion = "GLIBCXX_3.4.32";

    /// <summary>Environment variable that switches the fix off (for diagnosis and for the test that proves it is needed).</summary>
    public const string DisableVariable = "DLLM_DISABLE_LIBSTDCXX_FIX";

    /// <summary>Checks the system libstdc++ and patches <paramref name="libTorchSharpPath"/> when needed (Linux only:
    /// TorchBackend calls it behind its platform check).</summary>
    [SupportedOSPlatform("linux")]
    public static LibStdCxxFixOutcome Apply(string libTorchSharpPath, ILogger logger)
    {
        byte[] library = File.ReadAllBytes(libTorchSharpPath);
        var requirements = ElfSymbolVersions.ReadRequirements(library)
            .Where(r => r.Version.StartsWith("GLIBCXX_", StringComparison.Ordinal))
            .ToList();
        string? libstdcxx = FindSystemLibStdCxx();
        var available = libstdcxx is null ? [] : ElfSymbolVersions.ReadDefinitions(File.ReadAllBytes(libstdcxx)).ToHashSet();
        var missing = requirements.Where(r => !available.Contains(r.Version)).ToList();
        if (missing.Count == 0)
            return LibStdCxxFixOutcome.NotNeeded;
        var unfixable = missing.Where(r => r.Version != MissingVersion && !r.IsWeak).Select(r => r.Version).Distinct().ToList();
        if (unfixable.Count > 0)
        {
            logger.LibStdCxxUnfixable(libstdcxx ?? "not found", string.Join(", ", unfixable), libTorchSharpPath, MissingVersion);
        }
        if (missing.All(r => r.IsWeak))
            return LibStdCxxFixOutcome.AlreadyPatched;
        if (Environment.GetEnvironmentVariable(DisableVariable) == "1")
            return LibStdCxxFixOutcome.Disabled;

        if (ElfSymbolVersions.MarkRequirementWeak(library, MissingVersion) == 0)
            return LibStdCxxFixOutcome.AlreadyPatched;
        try
        {
            // Write a sibling file and rename it over the original: a process that has the old file
            // mapped keeps its inode, and no reader ever sees a half-written library.
            string temp = libTorchSharpPath + $".{Environment.ProcessId}.tmp";
            File.WriteAllBytes(temp, library);
            File.SetUnixFileMode(temp, File.GetUnixFileMode(libTorchSharpPath));
            File.Move(temp, libTorchSharpPath, overwrite: true);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            logger.LibStdCxxNotWritable(e, libTorchSharpPath, MissingVersion);
            return LibStdCxxFixOutcome.NotWritable;
        }
        logger.LibStdCxxPatched(MissingVersion, libTorchSharpPath, libstdcxx ?? "not found");
        return LibStdCxxFixOutcome.Patched;
    }

    /// <summary>The libstdc++ this process uses (already mapped by the .NET host), else the usual system paths.</summary>
    public static string? FindSystemLibStdCxx()
    {
        string? mapped = LoadedLibraries.Find("libstdc++.so.6");
        if (mapped is not null)
            return mapped;
        string[] candidates =
        [
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
        ];
        return candidates.FirstOrDefault(File.Exists);
    }
}
