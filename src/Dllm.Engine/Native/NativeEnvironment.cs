using System.Runtime.InteropServices;

namespace Dllm.Native;

/// <summary>
/// The process environment as native code sees it. On Unix .NET's <see cref="Environment.SetEnvironmentVariable(string, string)"/>
/// changes only the runtime's own copy, while libtorch, libgomp and cuBLAS read libc's (<c>getenv</c>), so variables meant
/// for them are read and written here, through libc.
/// </summary>
internal static partial class NativeEnvironment
{
    /// <summary>A variable as native code (getenv) sees it; null when unset.</summary>
    public static string? Get(string name) => Marshal.PtrToStringUTF8(GetEnv(name));

    /// <summary>Sets <paramref name="name"/> in libc's environment (and .NET's copy), replacing a value only when
    /// <paramref name="overwrite"/>; returns null on success, else the reason (errno).</summary>
    public static string? TrySet(string name, string value, bool overwrite)
    {
        if (SetEnv(name, value, overwrite ? 1 : 0) != 0)
            return $"setenv failed: errno {Marshal.GetLastPInvokeError()}";
        if (overwrite || Environment.GetEnvironmentVariable(name) is null)
            Environment.SetEnvironmentVariable(name, Get(name));
        return null;
    }

    [LibraryImport("libc.so.6", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int SetEnv(string name, string value, int overwrite);

    [LibraryImport("libc.so.6", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr GetEnv(string name);
}
