using System.Text;

namespace Dllm.Model;

/// <summary>Weight bytes of a model's parts, for placement and for the memory plan a server prints before loading.</summary>
/// <param name="Embedding">Embedding table bytes.</param>
/// <param name="LmHead">lm_head bytes (0 when tied).</param>
/// <param name="LayerBytes">Bytes of each layer (attention, norms, MLP or MoE with router and shared expert).</param>
public sealed record MemoryPlan(long Embedding, long LmHead, IReadOnlyList<long> LayerBytes)
{
    /// <summary>Weight bytes per part for a run dtype of <paramref name="bytesPerParameter"/> bytes.</summary>
    public static MemoryPlan Weights(LLaDA2Config c, int bytesPerParameter)
    {
        long h = c.HiddenSize, hd = c.HeadDim;
        long attention = (c.NumAttentionHeads + 2L * c.NumKeyValueHeads) * hd * h + h * c.NumAttentionHeads * hd + 2 * hd + 2 * h;
        var layers = new long[c.NumHiddenLayers];
        for (int i = 0; i < layers.Length; i++)
        {
            long mlp = c.IsMoeLayer(i)
                ? 3L * h * c.MoeIntermediateSize * (c.NumExperts + c.NumSharedExperts) + (long)c.NumExperts * (h + 1) * 4 / bytesPerParameter
                : 3L * h * c.IntermediateSize;
            layers[i] = (attention + mlp) * bytesPerParameter;
        }
        long embedding = (long)c.VocabSize * h * bytesPerParameter;
        return new MemoryPlan(embedding, c.TieWordEmbeddings ? 0 : embedding + h * bytesPerParameter, layers);
    }

    /// <summary>K/V cache bytes of one layer for <paramref name="slots"/> × <paramref name="contextLength"/> positions.</summary>
    public static long KvCacheBytesPerLayer(LLaDA2Config c, int slots, int contextLength, int bytesPerParameter) =>
        2L * slots * contextLength * c.NumKeyValueHeads * c.HeadDim * bytesPerParameter;

    /// <summary>
    /// K/V pages of <paramref name="pageSize"/> positions that fit on every stage of <paramref name="placement"/> when weights
    /// + K/V may use <paramref name="fraction"/> of each device's memory (SGLang's <c>--mem-fraction-static</c>): a stage's
    /// room is its free memory (weights loaded) less (1 − fraction) × its total; the pool is the smallest stage's number
    /// of pages (every layer holds every page). 0 when some stage has no room.
    /// </summary>
    /// <param name="config">The model's config.</param>
    /// <param name="placement">Which layers each device holds.</param>
    /// <param name="fraction">The fraction of each device's total memory for weights + K/V.</param>
    /// <param name="memory">Free and total bytes of each stage's device, after loading.</param>
    /// <param name="pageSize">Positions per page.</param>
    /// <param name="bytesPerElement">Bytes of one K/V element (the run dtype).</param>
    public static long KvPagesForFraction(LLaDA2Config config, ModelPlacement placement, double fraction, IReadOnlyList<(long Free, long Total)> memory,
        int pageSize, int bytesPerElement)
    {
        long pageBytesPerLayer = KvCacheBytesPerLayer(config, 1, pageSize, bytesPerElement);
        long pages = long.MaxValue;
        for (int s = 0; s < placement.Stages.Count; s++)
        {
            var (free, total) = memory[s];
            double room = free - (1 - fraction) * total;
            pages = Math.Min(pages, room <= 0 ? 0 : (long)(room / (pageBytesPerLayer * (double)placement.Stages[s].LayerCount)));
        }
        return pages;
    }

    /// <summary>A table: per stage, its layers, weight GB, K/V cache GB and the total against the device's memory.</summary>
    public static string Describe(LLaDA2Config config, ModelPlacement placement, int slots, int contextLength, double deviceMemoryGB, int bytesPerParameter = 2)
    {
        var weights = Weights(config, bytesPerParameter);
        var text = new StringBuilder();
        text.AppendLine($"| device | layers | weights GB | K/V pool GB ({slots} requests x {contextLength} positions) | total GB | of {deviceMemoryGB:F0} GB |");
        text.AppendLine("|---|---|---:|---:|---:|---:|");
        bool fits = true;
        for (int s = 0; s < placement.Stages.Count; s++)
        {
            var stage = placement.Stages[s];
            long bytes = Enumerable.Range(stage.FirstLayer, stage.LayerCount).Sum(l => weights.LayerBytes[l])
                + (s == 0 ? weights.Embedding : 0) + (s == placement.Stages.Count - 1 ? weights.LmHead : 0);
            long cache = stage.LayerCount * KvCacheBytesPerLayer(config, slots, contextLength, bytesPerParameter);
            double total = (bytes + cache) / 1e9;
            fits &= total < deviceMemoryGB * 0.92; // leave room for activations and the allocator
            text.AppendLine($"| {stage.Device} | {stage.FirstLayer}-{stage.EndLayer - 1} | {bytes / 1e9:F1} | {cache / 1e9:F1} | {total:F1} | {100 * total / deviceMemoryGB:F0}% |");
        }
        text.AppendLine(fits ? "fits: yes (each device keeps >= 8% free for activations)" : "fits: NO — use more GPUs, a shorter context or fewer running requests");
        return text.ToString();
    }
}
