namespace Dllm.Native;

/// <summary>What the libstdc++ compatibility step did to <c>libLibTorchSharp.so</c>.</summary>
public enum LibStdCxxFixOutcome
{
    /// <summary>The machine's libstdc++ has every version the library needs: nothing to do.</summary>
    NotNeeded,

    /// <summary>The library's requirement had already been marked weak (an earlier run patched it).</summary>
    AlreadyPatched,

    /// <summary>The requirement was marked weak in place, just now.</summary>
    Patched,

    /// <summary>The fix was needed but switched off with <c>DLLM_DISABLE_LIBSTDCXX_FIX=1</c>.</summary>
    Disabled,

    /// <summary>The fix was needed but the library file could not be written.</summary>
    NotWritable,
}
