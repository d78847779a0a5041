using Dllm.Model;
using TorchSharp;

namespace Dllm.Scheduling;

/// <summary>The model and its K/V cache, driven in the three kinds of forward a diffusion request needs:
/// prompt prefill, a denoising step over the current blocks, and the clean pass that stores a resolved block's K/V.</summary>
internal sealed class ModelRunner(LLaDA2Model model, KvCache cache) : IDisposable
{
    public LLaDA2Model Model => model;

    public KvCache Cache => cache;

    /// <summary>Stores the K/V of the prompt's whole blocks (one forward, block-causal).</summary>
    public void Prefill(EngineRequest request, int blockSize, int length)
    {
        if (length > 0)
            model.Forward([new ForwardRequest(request.Slot, 0, request.PromptIds[..length])], cache, blockSize, writeCache: true, computeLogits: false);
    }

    /// <summary>One denoising step over every request's current block: fp32 logits [R, B, V].</summary>
    public torch.Tensor Step(IReadOnlyList<EngineRequest> requests, int blockSize) =>
        model.Forward(Blocks(requests), cache, blockSize, writeCache: false)!;

    /// <summary>Stores the K/V of the resolved blocks' final tokens.</summary>
    public void StoreResolvedBlocks(IReadOnlyList<EngineRequest> requests, int blockSize) =>
        model.Forward(Blocks(requests), cache, blockSize, writeCache: true, computeLogits: false);

    private static List<ForwardRequest> Blocks(IReadOnlyList<EngineRequest> requests) =>
        requests.Select(r => new ForwardRequest(r.Slot, r.BlockStart, r.Block!.Tokens)).ToList();

    public void Dispose()
    {
        cache.Dispose();
        model.Dispose();
    }
}
