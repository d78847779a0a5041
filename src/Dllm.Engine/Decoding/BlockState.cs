namespace Dllm.Decoding;

/// <summary>
/// One request's current block on the host: <see cref="Tokens"/> holds B ids (prompt tokens in the fixed
/// leading slots, <see cref="MaskTokenId"/> where still masked); the algorithm commits or rewrites slots.
/// </summary>
public sealed class BlockState
{
    /// <summary>Creates a block whose first slots hold <paramref name="fixedTokens"/> (the prompt tail) and the rest masks.</summary>
    public BlockState(int blockSize, int maskTokenId, ReadOnlySpan<int> fixedTokens)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(fixedTokens.Length, blockSize, nameof(fixedTokens));
        Tokens = new int[blockSize];
        MaskTokenId = maskTokenId;
        FixedCount = fixedTokens.Length;
        fixedTokens.CopyTo(Tokens);
        Tokens.AsSpan(FixedCount).Fill(maskTokenId);
    }

    /// <summary>The block's B token ids.</summary>
    public int[] Tokens { get; }

    /// <summary>The mask id.</summary>
    public int MaskTokenId { get; }

    /// <summary>Leading slots that hold prompt tokens and are never changed.</summary>
    public int FixedCount { get; }

    /// <summary>Denoising steps this block has taken.</summary>
    public int Steps { get; set; }

    /// <summary>Tokens committed into masked slots so far (edits of filled slots not counted).</summary>
    public int Committed { get; set; }

    /// <summary>Steps taken after the block had no mask left (for editing algorithms).</summary>
    public int PostEditSteps { get; set; }

    /// <summary>Rewrites of already-filled slots so far (editing algorithms; not counted in <see cref="Committed"/>).</summary>
    public int Edits { get; set; }

    /// <summary>Slots the last step committed or rewrote. When a step that resolves the block changed nothing, the
    /// forward behind it already saw the block's final tokens.</summary>
    public int LastStepChanges { get; set; }

    /// <summary>Masked slots remaining.</summary>
    public int MaskedCount => Tokens.AsSpan(FixedCount).Count(MaskTokenId);

    /// <summary>True when slot <paramref name="index"/> is still masked.</summary>
    public bool IsMasked(int index) => index >= FixedCount && Tokens[index] == MaskTokenId;
}
