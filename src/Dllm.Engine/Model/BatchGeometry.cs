using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Model;

/// <summary>
/// The index and mask tensors of one batched forward, built once and shared by every layer:
/// positions of the new tokens, cache rows to read (the padded prefixes) and write, and the boolean
/// attention mask (<c>true</c> = may attend): a prefix key is visible iff it exists (padding is not), a new
/// key is visible under the block-causal rule <c>floor(j/B) &lt;= floor(i/B)</c>.
/// </summary>
internal sealed class BatchGeometry : IDisposable
{
    private readonly List<Tensor> _owned = [];

    public BatchGeometry(IReadOnlyList<ForwardRequest> requests, int blockSize, int cacheMaxLength, Device device)
    {
        BatchSize = requests.Count;
        NewTokens = requests[0].TokenIds.Length;
        if (requests.Any(r => r.TokenIds.Length != NewTokens))
            throw new ArgumentException("every request of a batched forward must bring the same number of new tokens", nameof(requests));
        PrefixLength = requests.Max(r => r.Start);
        int n = NewTokens, b = BatchSize, p = PrefixLength;

        var ids = new long[b * n];
        var positions = new long[b * n];
        var writeRows = new long[b * n];
        var readRows = new long[b * p];
        var mask = new bool[b * n * (p + n)];
        for (int r = 0; r < b; r++)
        {
            var request = requests[r];
            if (request.Start + n > cacheMaxLength)
                throw new ArgumentException($"sequence in slot {request.Slot} would reach position {request.Start + n}, beyond the cache length {cacheMaxLength}", nameof(requests));
            long slotBase = (long)request.Slot * cacheMaxLength;
            for (int i = 0; i < n; i++)
            {
                ids[r * n + i] = request.TokenIds[i];
                positions[r * n + i] = request.Start + i;
                writeRows[r * n + i] = slotBase + request.Start + i;
                int row = (r * n + i) * (p + n);
                for (int j = 0; j < request.Start; j++)
                    mask[row + j] = true;
                long queryBlock = (request.Start + i) / blockSize;
                for (int j = 0; j < n; j++)
                    mask[row + p + j] = (request.Start + j) / blockSize <= queryBlock;
            }
            for (int j = 0; j < p; j++)
                readRows[r * p + j] = slotBase + Math.Min(j, Math.Max(0, request.Start - 1));
        }
        TokenIds = Own(tensor(ids, device: device));
        Positions = Own(tensor(positions, device: device));
        WriteRows = Own(tensor(writeRows, device: device));
        ReadRows = p > 0 ? Own(tensor(readRows, device: device)) : null;
        // Nothing hidden (one block over equal prefixes): attention runs without a mask, which lets SDPA pick
        // its fused kernels instead of the masked fallback.
        if (Array.IndexOf(mask, false) >= 0)
        {
            using var hostMask = tensor(mask, [b, 1, n, p + n]);
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

    /// <summary>The same geometry on another device (the next stage of a layer split): copied, not rebuilt on the host.</summary>
    public BatchGeometry On(Device device) => new(this, device);

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

    /// <summary>The mask tiled for queries whose <paramref name="groups"/> GQA heads are folded into the
    /// sequence dimension ([B, 1, groups·n, P+n]); built once per forward.</summary>
    public Tensor? FoldedMask(int groups)
    {
        if (groups == 1 || Mask is null)
            return Mask;
        return _folded ??= Own(Mask.repeat(1, 1, groups, 1));
    }

    private Tensor? _folded;

    public void Dispose()
    {
        foreach (var t in _owned)
            t.Dispose();
    }
}
