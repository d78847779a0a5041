using Dllm.Model;
using TorchSharp;

namespace Dllm.Bench;

/// <summary>How many weight bytes a step must read: everything but the embedding table (only the batch's
/// rows), with all routed experts (the all-experts path reads every one).</summary>
internal sealed record StepBytes(long Total, long Embedding, long PerStepFixed)
{
    public static StepBytes For(LLaDA2Config c, torch.ScalarType dtype)
    {
        long e = dtype == torch.ScalarType.Float32 ? 4 : 2;
        long h = c.HiddenSize, hd = c.HeadDim;
        long attention = ((c.NumAttentionHeads + 2L * c.NumKeyValueHeads) * hd * h + h * c.NumAttentionHeads * hd) * c.NumHiddenLayers;
        long dense = 3L * h * c.IntermediateSize * c.FirstKDenseReplace;
        long moeLayers = c.NumHiddenLayers - c.FirstKDenseReplace;
        long experts = moeLayers * (3L * h * c.MoeIntermediateSize * (c.NumExperts + c.NumSharedExperts));
        long router = moeLayers * (long)c.NumExperts * h * 2; // fp32
        long lmHead = (long)c.VocabSize * h;
        long embedding = (long)c.VocabSize * h;
        long fixedBytes = (attention + dense + experts + lmHead) * e + router;
        return new StepBytes(fixedBytes + embedding * e, embedding * e, fixedBytes);
    }

    public long PerStep(int tokens) => PerStepFixed;
}
