using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Runner;

/// <summary>
/// A <see cref="BatchLayout"/> on a device, shared by every layer of one forward: token ids, positions, cache rows to
/// read and write, and the attention mask. A geometry can be reloaded in place with another layout of the same
/// shape (<see cref="Load"/>), which is how a captured CUDA graph gets its next inputs.
/// </summary>
internal sealed class BatchGeometry : IDisposable
{
    /// <summary>Whether a reload with at most half of its requests moved rewrites only their rows (default true; the
    /// bench's <c>--partial-reload false</c> rebuilds the whole layout, the before).</summary>
    public static bool PartialReloadEnabled { get; set; } = true;

    private readonly List<Tensor> _owned = [];
    private Tensor? _folded;
    private Tensor? _prefixLengths;
    private Tensor? _newKeyMask;

    /// <param name="layout">The host arrays.</param>
    /// <param name="device">Where the tensors live.</param>
    /// <param name="alwaysMask">Keep a mask even when it hides nothing (a geometry that will be reloaded).</param>
    public BatchGeometry(BatchLayout layout, Device device, bool alwaysMask = false)
    {
        BatchSize = layout.BatchSize;
        NewTokens = layout.NewTokens;
        PrefixLength = layout.PrefixLength;
        TokenIds = Own(tensor(layout.TokenIds, device: device));
        Positions = Own(tensor(layout.Positions, device: device));
        WriteRows = Own(tensor(layout.WriteRows, device: device));
        ReadRows = PrefixLength > 0 ? Own(tensor(layout.ReadRows, device: device)) : null;
        if (alwaysMask || layout.HidesKeys)
        {
            using var hostMask = tensor(layout.Mask, [BatchSize, 1, NewTokens, PrefixLength + NewTokens]);
            Mask = Own(hostMask.to(device));
        }
    }

    private BatchGeometry(BatchGeometry source, Device device)
    {
        BatchSize = source.BatchSize;
        NewTokens = source.NewTokens;
        PrefixLength = source.PrefixLength;
        TokenIds = Own(source.TokenIds.to(device));
        Positions = Own(source.Positions.to(device));
        WriteRows = Own(source.WriteRows.to(device));
        ReadRows = source.ReadRows is null ? null : Own(source.ReadRows.to(device));
        Mask = source.Mask is null ? null : Own(source.Mask.to(device));
    }

    private BatchGeometry(long[] tokenIds, long[] positions, bool[] mask, int batchSize, int length, Device device)
    {
        if (tokenIds.Length != batchSize * length || positions.Length != tokenIds.Length || mask.Length != length * length)
            throw new ArgumentException($"a training batch of {batchSize}×{length} needs {batchSize * length} ids and positions and a {length}×{length} mask shared by its sequences");
        BatchSize = batchSize;
        NewTokens = length;
        PrefixLength = 0;
        TokenIds = Own(tensor(tokenIds, device: device));
        Positions = Own(tensor(positions, device: device));
        WriteRows = Own(zeros(tokenIds.Length, ScalarType.Int64, device));
        using var hostMask = tensor(mask, [1, 1, length, length]);
        Mask = Own(hostMask.to(device));
    }

    /// <summary>A whole-sequence geometry without cache rows (a training forward): the caller's ids and positions, and
    /// one [length, length] mask that every sequence of the batch shares.</summary>
    public static BatchGeometry ForTraining(long[] tokenIds, long[] positions, bool[] mask, int batchSize, int length, Device device) =>
        new(tokenIds, positions, mask, batchSize, length, device);

    /// <summary>The same geometry on another device (the next stage of a layer split): copied, not rebuilt on the host.</summary>
    public BatchGeometry On(Device device) => new(this, device);

    /// <summary>Overwrites every tensor in place with <paramref name="layout"/>, which must have this geometry's shape.</summary>
    public void Load(BatchLayout layout)
    {
        if (layout.BatchSize != BatchSize || layout.NewTokens != NewTokens || layout.PrefixLength != PrefixLength || Mask is null)
            throw new ArgumentException($"layout [{layout.BatchSize}×{layout.NewTokens}, prefix {layout.PrefixLength}] does not fit geometry [{BatchSize}×{NewTokens}, prefix {PrefixLength}] with a mask", nameof(layout));
        using var scope = NewDisposeScope();
        TokenIds.copy_(tensor(layout.TokenIds));
        Positions.copy_(tensor(layout.Positions));
        WriteRows.copy_(tensor(layout.WriteRows));
        ReadRows?.copy_(tensor(layout.ReadRows));
        Mask.copy_(tensor(layout.Mask, [BatchSize, 1, NewTokens, PrefixLength + NewTokens]));
    }

    /// <summary>
    /// Loads the next forward's inputs in place: when its requests have the page tables (the pages they use), starts and
    /// block size of the last reload (the steps within a block), only the token ids are copied; when at most half of them
    /// changed (a request moving to its next block), those requests' rows are rebuilt and the token ids copied; otherwise
    /// the whole layout is rebuilt. The geometry keeps its padded prefix length.
    /// </summary>
    public void Reload(IReadOnlyList<ForwardRequest> requests, int blockSize, int pageSize)
    {
        // A request's rows of every tensor depend on it alone (its prefix padded to this geometry's length): a few changed
        // requests (one moving to its next block, say) get their rows rewritten; many, the whole layout.
        var changed = ChangedSinceLastReload(requests, blockSize, pageSize);
        if (changed is null || !PartialReloadEnabled || 2 * changed.Count > requests.Count)
        {
            Load(new BatchLayout(requests, blockSize, pageSize, PrefixLength));
            Remember(requests, blockSize, pageSize);
            return;
        }
        var ids = new long[BatchSize * NewTokens];
        for (int r = 0; r < requests.Count; r++)
        {
            if (requests[r].TokenIds.Length != NewTokens)
                throw new ArgumentException($"request {r} brings {requests[r].TokenIds.Length} tokens, the geometry holds {NewTokens}", nameof(requests));
            for (int i = 0; i < NewTokens; i++)
                ids[r * NewTokens + i] = requests[r].TokenIds[i];
        }
        foreach (int r in changed)
            LoadRequest(r, new BatchLayout([requests[r]], blockSize, pageSize, PrefixLength));
        if (changed.Count > 0)
            Remember(requests, blockSize, pageSize);
        using var host = tensor(ids);
        TokenIds.copy_(host);
    }

    /// <summary>The requests whose start, placeholders or pages differ from the last reload's; null when the batch itself
    /// differs (another request count, block or page size) or nothing was remembered yet.</summary>
    private List<int>? ChangedSinceLastReload(IReadOnlyList<ForwardRequest> requests, int blockSize, int pageSize)
    {
        if (_structure is null || Mask is null || blockSize != _structureBlockSize || pageSize != _structurePageSize || requests.Count != _structure.Length)
            return null;
        var changed = new List<int>();
        for (int r = 0; r < requests.Count; r++)
        {
            if (requests[r].Start != _structure[r].Start || requests[r].Placeholders != _structure[r].Placeholders || !SamePages(requests[r], _structure[r].Pages, pageSize))
                changed.Add(r);
        }
        return changed;
    }

    /// <summary>Overwrites request <paramref name="r"/>'s rows of every tensor but its token ids with
    /// <paramref name="layout"/>, a one-request layout of this geometry's shape.</summary>
    private void LoadRequest(int r, BatchLayout layout)
    {
        using var scope = NewDisposeScope();
        Positions.narrow(0, (long)r * NewTokens, NewTokens).copy_(tensor(layout.Positions));
        WriteRows.narrow(0, (long)r * NewTokens, NewTokens).copy_(tensor(layout.WriteRows));
        ReadRows?.narrow(0, (long)r * PrefixLength, PrefixLength).copy_(tensor(layout.ReadRows));
        Mask!.narrow(0, r, 1).copy_(tensor(layout.Mask, [1, 1, NewTokens, PrefixLength + NewTokens]));
    }

    /// <summary>A geometry that will be reloaded (a captured forward's inputs): always masked, built from
    /// <paramref name="requests"/>, whose page tables and starts it remembers, so that reloading the same structure copies
    /// only token ids.</summary>
    public static BatchGeometry ForReloading(IReadOnlyList<ForwardRequest> requests, int blockSize, int pageSize, int prefixLength, Device device)
    {
        var geometry = new BatchGeometry(new BatchLayout(requests, blockSize, pageSize, prefixLength), device, alwaysMask: true);
        geometry.Remember(requests, blockSize, pageSize);
        return geometry;
    }

    /// <summary>Whether <paramref name="request"/> uses exactly <paramref name="pages"/> (the pages its positions lie in).</summary>
    private static bool SamePages(ForwardRequest request, int[] pages, int pageSize)
    {
        if (request.PagesUsed(pageSize) != pages.Length)
            return false;
        for (int i = 0; i < pages.Length; i++)
        {
            if (request.PageTable[i] != pages[i])
                return false;
        }
        return true;
    }

    private void Remember(IReadOnlyList<ForwardRequest> requests, int blockSize, int pageSize)
    {
        _structure = requests.Select(r => (r.PageTable.Take(r.PagesUsed(pageSize)).ToArray(), r.Start, r.Placeholders)).ToArray();
        _structureBlockSize = blockSize;
        _structurePageSize = pageSize;
    }

    private (int[] Pages, int Start, int Placeholders)[]? _structure;
    private int _structureBlockSize;
    private int _structurePageSize;

    /// <summary>Keeps <paramref name="t"/> alive until this geometry is disposed, whatever dispose scope is current.</summary>
    private Tensor Own(Tensor t)
    {
        _owned.Add(t.DetachFromDisposeScope());
        return t;
    }

    public int BatchSize { get; }
    public int NewTokens { get; }
    public int PrefixLength { get; }
    public Tensor TokenIds { get; }     // [B*n]
    public Tensor Positions { get; }    // [B*n]
    public Tensor WriteRows { get; }    // [B*n]
    public Tensor? ReadRows { get; }    // [B*P] or null without prefix
    public Tensor? Mask { get; }        // [B, 1, n, P+n]; null when every key is visible to every query

    /// <summary>Tiles the mask for queries whose <paramref name="groups"/> GQA heads are folded into the sequence
    /// dimension ([B, 1, groups·n, P+n]), once per forward: a captured forward must recompute it from the reloaded mask.</summary>
    public void FoldMask(int groups)
    {
        if (groups == 1 || Mask is null)
            return;
        _folded?.Dispose();
        _folded = Mask.repeat(1, 1, groups, 1).DetachFromDisposeScope();
    }

    /// <summary>The mask as <see cref="FoldMask"/> tiled it (the mask itself without GQA folding).</summary>
    public Tensor? FoldedMask => _folded ?? Mask;

    /// <summary>Derives from the mask what the paged-attention kernel reads (<see cref="PrefixLengths"/>,
    /// <see cref="NewKeyMask"/>), once per forward on the device: a captured forward recomputes them from the reloaded
    /// mask. Needs a prefix and a mask.</summary>
    public void DeriveKeyVisibility()
    {
        if (Mask is null || PrefixLength == 0)
            throw new InvalidOperationException("key visibility needs a prefix and a mask");
        _prefixLengths?.Dispose();
        _newKeyMask?.Dispose();
        using var scope = NewDisposeScope();
        // Every new token sees the same prefix keys: the first P columns of any query's row.
        _prefixLengths = Mask.select(1, 0).select(1, 0).narrow(1, 0, PrefixLength).sum(1).to(ScalarType.Int32).DetachFromDisposeScope();
        _newKeyMask = Mask.select(1, 0).narrow(2, PrefixLength, NewTokens).contiguous().DetachFromDisposeScope();
    }

    /// <summary>Each request's cached length, int32 [B] (after <see cref="DeriveKeyVisibility"/>; else null).</summary>
    public Tensor? PrefixLengths => _prefixLengths;

    /// <summary>Which new keys each new token sees, bool [B, n, n] (after <see cref="DeriveKeyVisibility"/>; else null).</summary>
    public Tensor? NewKeyMask => _newKeyMask;

    public void Dispose()
    {
        foreach (var t in _owned)
            t.Dispose();
        _folded?.Dispose();
        _prefixLengths?.Dispose();
        _newKeyMask?.Dispose();
    }
}
