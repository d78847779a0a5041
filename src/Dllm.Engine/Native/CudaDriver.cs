using System.Runtime.InteropServices;
using System.Text;

namespace Dllm.Native;

/// <summary>Device facts from the CUDA driver API (<c>libcuda.so.1</c>), which TorchSharp does not expose.</summary>
public static unsafe class CudaDriver
{
    /// <summary>Free and total bytes of the current CUDA context's device (call on a thread that has used CUDA), or null.</summary>
    public static (long Free, long Total)? MemoryInfo()
    {
        if (!NativeLibrary.TryLoad("libcuda.so.1", out nint cuda))
            return null;
        var getInfo = (delegate* unmanaged<nuint*, nuint*, int>)NativeLibrary.GetExport(cuda, "cuMemGetInfo_v2");
        nuint free, total;
        return getInfo(&free, &total) == 0 ? ((long)free, (long)total) : null;
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
