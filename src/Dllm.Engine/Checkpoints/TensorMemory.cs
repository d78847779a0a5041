using TorchSharp;

namespace Dllm.Checkpoints;

/// <summary>
/// Access to the bytes of a contiguous CPU tensor as spans over its own memory (no copies), in chunks because a
/// span holds at most 2 GB.
/// </summary>
internal static class TensorMemory
{
    /// <summary>The chunk size used for file I/O: large enough for full-speed reads, below the span limit.</summary>
    public const long DefaultChunkBytes = 1L << 30;

    /// <summary>Receives one chunk of a tensor's memory and its byte offset within the tensor.</summary>
    public delegate void ChunkAction(Span<byte> chunk, long offset);

    /// <summary>
    /// Calls <paramref name="action"/> for consecutive chunks of at most <paramref name="chunkBytes"/> bytes
    /// (rounded down to whole elements) that together cover the tensor's memory.
    /// </summary>
    /// <exception cref="ArgumentException">The tensor is not a contiguous CPU tensor.</exception>
    public static void ForEachChunk(torch.Tensor tensor, ChunkAction action, long chunkBytes = DefaultChunkBytes)
    {
        if (tensor.device_type != DeviceType.CPU || !tensor.is_contiguous())
            throw new ArgumentException("tensor memory is only accessible for contiguous CPU tensors.", nameof(tensor));
        long elementSize = tensor.ElementSize;
        long total = tensor.NumberOfElements;
        long chunkElements = Math.Max(1, Math.Min(chunkBytes, int.MaxValue) / elementSize);
        if (total == 0)
            return;
        if (total <= chunkElements)
        {
            action(tensor.bytes, 0);
            return;
        }
        using torch.Tensor flat = tensor.view(-1);
        for (long start = 0; start < total; start += chunkElements)
        {
            using torch.Tensor chunk = flat.narrow(0, start, Math.Min(chunkElements, total - start));
            action(chunk.bytes, start * elementSize);
        }
    }
}
