namespace Dllm;

/// <summary>
/// A snapshot of the engine's CUDA graphs (<see cref="DllmEngine.CudaGraphStats"/>): whether steps replay graphs, the
/// batch sizes they are captured for, and the captures since the engine started. Captures are tens of milliseconds each
/// and stall the step that makes them; in steady serving their count levels off (a bounded set of shapes), and graphs
/// evicted there are captured again.
/// </summary>
public sealed record CudaGraphStats
{
    /// <summary>Whether denoising steps replay CUDA graphs (a CUDA model on one device with the native piece, graphs not
    /// turned off).</summary>
    public required bool Enabled { get; init; }

    /// <summary>The batch sizes graphs are captured for (empty when <see cref="Enabled"/> is false).</summary>
    public required IReadOnlyList<int> BatchSizes { get; init; }

    /// <summary>Whether a batch between two sizes is padded up to the next one's graph.</summary>
    public required bool Padding { get; init; }

    /// <summary>Graphs captured so far (those captured again after an eviction included).</summary>
    public required int Captured { get; init; }

    /// <summary>Graphs freed to stay within the number kept.</summary>
    public required int Evicted { get; init; }

    /// <summary>Time the captures took.</summary>
    public required TimeSpan CaptureTime { get; init; }
}
