using System.Runtime.InteropServices;
using System.Text;

namespace Dllm.Native;

/// <summary>Device facts from the CUDA driver API (<c>libcuda.so.1</c>), which TorchSharp does not expose.</summary>
public static unsafe class CudaDriver
{
    /// <summary>Free and total bytes of CUDA device <paramref name="ordinal"/> (through its primary context, so
    /// any thread may ask), or null when there is no driver or device.</summary>
    public static (long Free, long Total)? MemoryInfo(int ordinal = 0)
    {
        if (!NativeLibrary.TryLoad("libcuda.so.1", out nint cuda))
            return null;
        var init = (delegate* unmanaged<uint, int>)NativeLibrary.GetExport(cuda, "cuInit");
        var get = (delegate* unmanaged<int*, int, int>)NativeLibrary.GetExport(cuda, "cuDeviceGet");
        var retain = (delegate* unmanaged<nint*, int, int>)NativeLibrary.GetExport(cuda, "cuDevicePrimaryCtxRetain");
        var release = (delegate* unmanaged<int, int>)NativeLibrary.GetExport(cuda, "cuDevicePrimaryCtxRelease_v2");
        var push = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(cuda, "cuCtxPushCurrent_v2");
        var pop = (delegate* unmanaged<nint*, int>)NativeLibrary.GetExport(cuda, "cuCtxPopCurrent_v2");
        var getInfo = (delegate* unmanaged<nuint*, nuint*, int>)NativeLibrary.GetExport(cuda, "cuMemGetInfo_v2");
        int device;
        nint context;
        if (init(0) != 0 || get(&device, ordinal) != 0 || retain(&context, device) != 0)
            return null;
        try
        {
            if (push(context) != 0)
                return null;
            nuint free, total;
            int status = getInfo(&free, &total);
            nint popped;
            pop(&popped);
            return status == 0 ? ((long)free, (long)total) : null;
        }
        finally
        {
            release(device);
        }
    }

    /// <summary>Name and total memory of device <paramref name="ordinal"/>, or null when there is no driver or device.</summary>
    public static (string Name, long TotalBytes)? Describe(int ordinal)
    {
        if (!NativeLibrary.TryLoad("libcuda.so.1", out nint cuda))
            return null;
        try
        {
            var init = (delegate* unmanaged<uint, int>)NativeLibrary.GetExport(cuda, "cuInit");
            var get = (delegate* unmanaged<int*, int, int>)NativeLibrary.GetExport(cuda, "cuDeviceGet");
            var getName = (delegate* unmanaged<byte*, int, int, int>)NativeLibrary.GetExport(cuda, "cuDeviceGetName");
            var totalMem = (delegate* unmanaged<nuint*, int, int>)NativeLibrary.GetExport(cuda, "cuDeviceTotalMem_v2");
            if (init(0) != 0)
                return null;
            int device;
            if (get(&device, ordinal) != 0)
                return null;
            byte* name = stackalloc byte[256];
            if (getName(name, 256, device) != 0)
                return null;
            nuint bytes;
            if (totalMem(&bytes, device) != 0)
                bytes = 0;
            return (Marshal.PtrToStringUTF8((nint)name) ?? "unknown", (long)bytes);
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }
    }
}
