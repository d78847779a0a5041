/// <summary>
/// The batch-1 step's memory floor of LLaDA2.0-mini's full shape on a device: the bytes one step must read (the touched
/// experts, attention, the dense layer and lm_head) at the device's memory bandwidth. The step table's "× floor" divides
/// by it.
/// </summary>
internal static class MemoryFloor
{
    /// <summary>H100 (3.35 TB/s): 6.9 ms; H200 (4.8 TB/s): 4.86 ms; another device: the H100's, unless
    /// <c>--floor-ms</c> gives one.</summary>
    public static double Milliseconds(string? deviceName, double? given) =>
        given ?? (deviceName?.Contains("H200", StringComparison.OrdinalIgnoreCase) == true ? 4.86 : 6.9);
}
