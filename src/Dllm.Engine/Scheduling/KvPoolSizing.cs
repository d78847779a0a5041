using Dllm.Model;
using Dllm.Native;
using TorchSharp;

namespace Dllm.Scheduling;

/// <summary>How many pages the K/V pool gets: <see cref="DllmEngineOptions.MaxTotalTokens"/> when set; else, on CUDA
/// with <see cref="DllmEngineOptions.MemFractionStatic"/>, what the devices' memory leaves after the weights
/// (<see cref="MemoryPlan.KvPagesForFraction"/>); else one context of pages per running request, as an unpaged cache of
/// <see cref="DllmEngineOptions.MaxRunningRequests"/> slots would hold.</summary>
internal static class KvPoolSizing
{
    /// <summary>The pool's pages and the rule that sized it (for the log).</summary>
    /// <exception cref="ArgumentException">The memory fraction leaves no room for a single page, or the running requests' contexts
    /// come to more pages than a pool counts.</exception>
    public static (int Pages, string SizedBy) Resolve(DllmEngineOptions options, LLaDA2Model model, int contextLength, int pageSize)
    {
        if (options.MaxTotalTokens is int tokens)
            return (PagesOf(tokens, pageSize), "max_total_tokens");
        if (options.MemFractionStatic is double fraction && model.Device.type == DeviceType.CUDA)
        {
            var memory = model.Placement.Stages
                .Select(stage => CudaDriver.MemoryInfo(Math.Max(0, (int)stage.Device.index))
                    ?? throw new InvalidOperationException($"cannot read the memory of {stage.Device} (libcuda.so.1)"))
                .ToList();
            int bytesPerElement = model.DType == torch.ScalarType.Float32 ? 4 : 2;
            long pages = MemoryPlan.KvPagesForFraction(model.Config, model.Placement, fraction, memory, pageSize, bytesPerElement);
            if (pages < 1)
                throw new ArgumentException($"MemFractionStatic {fraction} leaves no GPU memory for the K/V pool after the weights; raise it (--mem-fraction-static) or set --max-total-tokens.", nameof(options));
            return ((int)Math.Min(pages, int.MaxValue / pageSize), "mem_fraction_static");
        }
        long sized = (long)options.MaxRunningRequests * PagesOf(contextLength, pageSize);
        if (sized > int.MaxValue)
            throw new ArgumentException($"MaxRunningRequests {options.MaxRunningRequests} x a {contextLength}-token context is {sized} K/V pages, more than a pool can count; lower it (--max-running-requests) or size the pool by --max-total-tokens or --mem-fraction-static.", nameof(options));
        return ((int)sized, "max_running_requests x context_length");
    }

    private static int PagesOf(long tokens, int pageSize) => (int)((tokens + pageSize - 1) / pageSize);
}
