using Dllm.Model;
using Dllm.Runner;
using static TorchSharp.torch;

namespace Dllm.Tests.Infrastructure;

/// <summary>A batched forward of a model as the engine's runner prepares it, op by op (tests of the network).</summary>
internal static class ModelForwards
{
    /// <summary>Runs <paramref name="requests"/> through <paramref name="model"/> with a fresh <see cref="ForwardRunner"/> (no CUDA graphs).</summary>
    public static Tensor? RunForward(this LLaDA2Model model, IReadOnlyList<ForwardRequest> requests, KvCache cache, int blockSize, bool writeCache,
        bool computeLogits = true, MoePath moePath = MoePath.Auto, int logitsFrom = 0)
    {
        using var runner = new ForwardRunner(model);
        return runner.Forward(requests, cache, blockSize, writeCache, computeLogits, moePath, logitsFrom);
    }
}
