namespace Dllm.Checkpoints;

/// <summary>
/// Progress of reading (or writing) a checkpoint, reported after each tensor.
/// </summary>
/// <param name="TensorName">The tensor just finished.</param>
/// <param name="TensorsDone">Tensors finished so far.</param>
/// <param name="TensorsTotal">Tensors in the checkpoint.</param>
/// <param name="BytesDone">Bytes of tensor data finished so far.</param>
/// <param name="BytesTotal">Bytes of tensor data in the checkpoint.</param>
/// <param name="Elapsed">Time since the checkpoint was opened (or the writing started).</param>
public sealed record CheckpointLoadProgress(string TensorName, int TensorsDone, int TensorsTotal, long BytesDone, long BytesTotal, TimeSpan Elapsed)
{
    /// <summary>The fraction of bytes done, 0..1.</summary>
    public double Fraction => BytesTotal == 0 ? 1 : Math.Min(1, (double)BytesDone / BytesTotal);

    /// <summary>Average throughput so far.</summary>
    public double BytesPerSecond => Elapsed > TimeSpan.Zero ? BytesDone / Elapsed.TotalSeconds : 0;
}
