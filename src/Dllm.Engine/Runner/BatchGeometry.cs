using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Runner;

/// <summary>
/// A <see cref="BatchLayout"/> on a device, shared by every layer of one forward: token ids, positions, cache rows to
/// read and write, and which keys each new token sees (<see cref="PrefixLengths"/> and <see cref="NewKeyMask"/>, read by
/// the paged-attention kernel as they are; SDPA's whole mask is built from them on the device, <see cref="BuildMask"/>).
/// A geometry can be reloaded in place with another layout of the same shape (<see cref="Load"/>), which is how a
/// captured CUDA graph gets its next inputs.
/// </summary>
internal sealed class BatchGeometry : IDisposable
{
    /// <summary>Whether a reload with at most half of its requests moved rewrites only their rows (default true; the
    /// bench's <c>--partial-reload false</c> rebuilds the whole layout, the before).</summary>
    public static bool PartialReloadEnabled { get; set; } = true;

    private readonly List<Tensor> _owned = [];
    private Tensor? _mask;
    private StagedUploads? _uploads; // a reloaded geometry's host twins (created by the first reload)

    /// <param name="layout">The host arrays.</param>
    /// <param name="device">Where the tensors live.</param>
    /// <param name="alwaysMask">Keep the keys' visibility even when it hides nothing (a geometry that will be reloaded).</param>
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
            PrefixLengths = Own(tensor(layout.PrefixLengths, device: device));
            NewKeyMask = Own(layout.NewKeyMask is { } newKeys
                ? tensor(newKeys, [BatchSize, NewTokens, NewTokens], device: device)
                : BlockCausal(Positions, BatchSize, NewTokens, layout.BlockSize));
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
        PrefixLengths = source.PrefixLengths is null ? null : Own(source.PrefixLengths.to(device));
        NewKeyMask = source.NewKeyMask is null ? null : Own(source.NewKeyMask.to(device));
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
        NewKeyMask = Own(tensor(mask, [1, length, length], device: device)); // one mask, broadcast over the sequences
    }

    /// <summary>A whole-sequence geometry without cache rows (a training forward): the caller's ids and positions, and
    /// one [length, length] mask that every sequence of the batch shares.</summary>
    public static BatchGeometry ForTraining(long[] tokenIds, long[] positions, bool[] mask, int batchSize, int length, Device device) =>
        new(tokenIds, positions, mask, batchSize, length, device);

    /// <summary>The block-causal rule over <paramref name="positions"/> ([B·n], no placeholders), bool [B, n, n]: key j
    /// is visible to query i iff floor(pos(j) / B) &lt;= floor(pos(i) / B).</summary>
    private static Tensor BlockCausal(Tensor positions, int batchSize, int newTokens, int blockSize)
    {
        using var blocks = positions.view(batchSize, newTokens).div(blockSize, RoundingMode.floor);
        using var keys = blocks.unsqueeze(1);
        using var queries = blocks.unsqueeze(2);
        return keys.le(queries);
    }

    /// <summary>The same geometry on another device (the next stage of a layer split): copied, not rebuilt on the host.</summary>
    public BatchGeometry On(Device device) => new(this, device);

    private void LoadInto(BatchLayout layout, StagedUploads uploads)
    {
        if (layout.BatchSize != BatchSize || layout.NewTokens != NewTokens || layout.PrefixLength != PrefixLength || PrefixLengths is null || NewKeyMask is null)
            throw new ArgumentException($"layout [{layout.BatchSize}×{layout.NewTokens}, prefix {layout.PrefixLength}] does not fit geometry [{BatchSize}×{NewTokens}, prefix {PrefixLength}] with key visibility", nameof(layout));
        uploads.Upload(TokenIds, layout.TokenIds);
        LoadRows(0, layout, uploads);
    }

    /// <summary>
    /// Loads the next forward's inputs in place: when its requests have the page tables (the pages they use), starts and
    /// block size of the last reload (the steps within a block), only the token ids are copied; when at most half of them
    /// changed (a request moving to its next block), those requests' rows are rebuilt and the token ids copied; otherwise
    /// the whole layout is rebuilt. The geometry keeps its padded prefix length. The copies are asynchronous on a CUDA
    /// device (<see cref="StagedUploads"/>): the host does not wait for the device here.
    /// </summary>
    public void Reload(IReadOnlyList<ForwardRequest> requests, int blockSize, int pageSize) =>
        Uploading(uploads => ReloadInto(requests, blockSize, pageSize, uploads));

    /// <summary>Overwrites every tensor in place with <paramref name="layout"/>, which must have this geometry's shape.</summary>
    public void Load(BatchLayout layout) => Uploading(uploads => LoadInto(layout, uploads));

    /// <summary>Runs <paramref name="write"/>'s uploads between <see cref="StagedUploads.Begin"/> and
    /// <see cref="StagedUploads.End"/> of this geometry's uploader (created on first use).</summary>
    private void Uploading(Action<StagedUploads> write)
    {
        var uploads = _uploads ??= new StagedUploads(TokenIds.device);
        uploads.Begin();
        try
        {
            write(uploads);
        }
        finally
        {
            uploads.End();
        }
    }

    private void ReloadInto(IReadOnlyList<ForwardRequest> requests, int blockSize, int pageSize, StagedUploads uploads)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        // A request's rows of every tensor depend on it alone (its prefix padded to this geometry's length): a few changed
        // requests (one moving to its next block, say) get their rows rewritten; many, the whole layout.
        var changed = ChangedSinceLastReload(requests, blockSize, pageSize);
        if (changed is null || !PartialReloadEnabled || 2 * changed.Count > requests.Count)
        {
            var layout = new BatchLayout(requests, blockSize, pageSize, PrefixLength);
            // Benchmarks: the copies from pageable memory wait for the device's stream anyway; waiting first tells the two apart.
            if (Reloads.TimeWaitApart && TokenIds.device.type == DeviceType.CUDA)
            {
                long waiting = System.Diagnostics.Stopwatch.GetTimestamp();
                torch.cuda.synchronize(TokenIds.device);
                Reloads.Add(ReloadKind.WholeWait, waiting);
            }
            long copying = System.Diagnostics.Stopwatch.GetTimestamp();
            LoadInto(layout, uploads);
            Reloads.Add(ReloadKind.WholeCopies, copying);
            Remember(requests, blockSize, pageSize);
            Reloads.Add(ReloadKind.Whole, started);
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
            LoadRows(r, new BatchLayout([requests[r]], blockSize, pageSize, PrefixLength), uploads);
        if (changed.Count > 0)
            Remember(requests, blockSize, pageSize);
        uploads.Upload(TokenIds, ids);
        Reloads.Add(changed.Count > 0 ? ReloadKind.Rows : ReloadKind.TokenIds, started);
    }

    /// <summary>Benchmarks only: reloads so far by kind, with their host time (every geometry's, all threads).</summary>
    internal static ReloadCounts Reloads { get; } = new();

    /// <summary>The requests whose start, placeholders or pages differ from the last reload's; null when the batch itself
    /// differs (another request count, block or page size) or nothing was remembered yet.</summary>
    private List<int>? ChangedSinceLastReload(IReadOnlyList<ForwardRequest> requests, int blockSize, int pageSize)
    {
        if (_structure is null || NewKeyMask is null || blockSize != _structureBlockSize || pageSize != _structurePageSize || requests.Count != _structure.Length)
            return null;
        var changed = new List<int>();
        for (int r = 0; r < requests.Count; r++)
        {
            if (requests[r].Start != _structure[r].Start || requests[r].Placeholders != _structure[r].Placeholders || !SamePages(requests[r], _structure[r].Pages, pageSize))
                changed.Add(r);
        }
        return changed;
    }

    /// <summary>Overwrites the rows of every tensor but the token ids from request <paramref name="r"/> on with
    /// <paramref name="layout"/>'s (a one-request layout of this geometry's shape, or the whole layout from 0).</summary>
    private void LoadRows(int r, BatchLayout layout, StagedUploads uploads)
    {
        uploads.Upload(Positions, layout.Positions, (long)r * NewTokens);
        uploads.Upload(WriteRows, layout.WriteRows, (long)r * NewTokens);
        if (ReadRows is not null)
            uploads.Upload(ReadRows, layout.ReadRows, (long)r * PrefixLength);
        uploads.Upload(PrefixLengths!, layout.PrefixLengths, r);
        uploads.Upload(NewKeyMask!, HostMask(layout), (long)r * NewTokens * NewTokens);
    }

    /// <summary>A reloaded layout's new-key mask, which is always built on the host (a step's few tokens a request).</summary>
    private static bool[] HostMask(BatchLayout layout) =>
        layout.NewKeyMask ?? throw new ArgumentException($"a reload needs the new-key mask on the host, which a layout of {layout.NewTokens} tokens a request leaves to the device", nameof(layout));

    /// <summary>A geometry that will be reloaded (a captured forward's inputs): always with key visibility, built from
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

    /// <summary>Each request's cached length, int32 [B]: its new tokens see prefix keys 0 .. length - 1; null without key
    /// visibility (every key visible to every query) or without a prefix's lengths (a training forward).</summary>
    public Tensor? PrefixLengths { get; }

    /// <summary>Which new keys each new token sees, bool [B, n, n] ([1, n, n] for a training batch, whose sequences share
    /// it); null when every key is visible to every query.</summary>
    public Tensor? NewKeyMask { get; }

    /// <summary>Whether this forward's attention runs the paged-attention kernel over <see cref="ReadRows"/>,
    /// <see cref="PrefixLengths"/> and <see cref="NewKeyMask"/> (set by the model once per forward and stage), not SDPA
    /// over a gathered prefix and <see cref="FoldedMask"/>.</summary>
    public bool AttendsInPlace { get; set; }

    /// <summary>
    /// Builds SDPA's attention mask on the device from <see cref="PrefixLengths"/> and <see cref="NewKeyMask"/>,
    /// [B, 1, groups·n, P+n] (the rows tiled for queries whose <paramref name="groups"/> GQA heads are folded into the
    /// sequence dimension), once per forward: a captured forward rebuilds it from the reloaded inputs. Additive, in
    /// <paramref name="dtype"/> (the queries' type): 0 where a key is visible, -inf where not, which is what SDPA turns a
    /// boolean mask into, on every call, that is every layer (at an 8,192-token prefill that conversion was 13 % of the
    /// GPU time). Nothing without key visibility.
    /// </summary>
    public void BuildMask(int groups, ScalarType dtype)
    {
        if (NewKeyMask is null)
            return;
        _mask?.Dispose();
        using var scope = NewDisposeScope();
        var newKeys = NewKeyMask.unsqueeze(1); // [B or 1, 1, n, n]
        Tensor mask = newKeys;
        if (PrefixLength > 0)
        {
            var columns = arange(PrefixLength, ScalarType.Int32, NewKeyMask.device);
            var prefix = columns.unsqueeze(0).lt(PrefixLengths!.unsqueeze(1)); // [B, P]
            mask = cat([prefix.view(BatchSize, 1, 1, PrefixLength).expand(BatchSize, 1, NewTokens, PrefixLength), newKeys], 3);
        }
        var additive = zeros(mask.shape, dtype, mask.device).masked_fill_(mask.logical_not(), double.NegativeInfinity);
        _mask = (groups == 1 ? additive : additive.repeat(1, 1, groups, 1)).DetachFromDisposeScope();
    }

    /// <summary>The mask <see cref="BuildMask"/> built (null before, or without key visibility).</summary>
    public Tensor? FoldedMask => _mask;

    public void Dispose()
    {
        _uploads?.Dispose(); // waits for its last copies, which read the twins and write the tensors below
        foreach (var t in _owned)
            t.Dispose();
        _mask?.Dispose();
    }
}
