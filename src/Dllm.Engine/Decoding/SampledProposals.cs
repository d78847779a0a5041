namespace Dllm.Decoding;

/// <summary>
/// One proposal per block position for a batch of R requests × B positions, on the host, row-major
/// (request r's position b at <c>r * B + b</c>).
/// </summary>
public sealed class SampledProposals
{
    /// <summary>Wraps the host arrays.</summary>
    public SampledProposals(int rows, int blockSize, int[] tokens, float[] confidences)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(confidences);
        if (tokens.Length != rows * blockSize || confidences.Length != rows * blockSize)
            throw new ArgumentException($"Expected {rows} × {blockSize} tokens and confidences, got {tokens.Length} and {confidences.Length}.");
        Rows = rows;
        BlockSize = blockSize;
        Tokens = tokens;
        Confidences = confidences;
    }

    /// <summary>Requests R.</summary>
    public int Rows { get; }

    /// <summary>Positions per request B.</summary>
    public int BlockSize { get; }

    /// <summary>Proposed token ids, R × B.</summary>
    public int[] Tokens { get; }

    /// <summary>Confidence of each proposed token, R × B.</summary>
    public float[] Confidences { get; }

    /// <summary>Request <paramref name="row"/>'s B proposed tokens.</summary>
    public ReadOnlySpan<int> TokensOf(int row) => Tokens.AsSpan(RowStart(row), BlockSize);

    /// <summary>Request <paramref name="row"/>'s B confidences.</summary>
    public ReadOnlySpan<float> ConfidencesOf(int row) => Confidences.AsSpan(RowStart(row), BlockSize);

    private int RowStart(int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Rows);
        return row * BlockSize;
    }
}
