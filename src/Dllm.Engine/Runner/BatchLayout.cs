namespace Dllm.Runner;

/// <summary>
/// The host-side index arrays and attention mask of one batched forward: ids and positions of the new tokens, the
/// cache rows they read (each request's prefix, padded to <see cref="PrefixLength"/>) and write — the row of position p
/// is <c>pageTable[p / pageSize] × pageSize + p % pageSize</c>, wherever the pages lie — and which keys each new token
/// sees (<c>true</c> = may attend), in two compact parts: a prefix key is visible iff it exists
/// (<see cref="PrefixLengths"/>: the request's cached length; padding is not), a new key under the block-causal rule
/// <c>floor(pos(j)/B) &lt;= floor(pos(i)/B)</c> (<see cref="NewKeyMask"/>); a request's placeholders
/// (<see cref="ForwardRequest.Placeholders"/>) are visible only to each other. The whole [B, 1, n, P + n] mask, when
/// SDPA needs it, is built from them on the device (<see cref="BatchGeometry.BuildMask"/>): the host's work and copies
/// stay O(B·n²), not O(B·n·P).
/// </summary>
internal sealed class BatchLayout
{
    /// <param name="requests">The batch; every request brings the same number of new tokens.</param>
    /// <param name="blockSize">Diffusion block size B.</param>
    /// <param name="pageSize">Positions per cache page.</param>
    /// <param name="prefixLength">Padded prefix length (at least the longest prefix); null = the longest prefix.</param>
    /// <param name="hostMaskMaxTokens">Up to how many new tokens a request the new-key mask is built here
    /// (<see cref="HostNewKeyMaskMaxTokens"/>; tests pass another).</param>
    public BatchLayout(IReadOnlyList<ForwardRequest> requests, int blockSize, int pageSize, int? prefixLength = null,
        int hostMaskMaxTokens = HostNewKeyMaskMaxTokens)
    {
        BatchSize = requests.Count;
        NewTokens = requests[0].TokenIds.Length;
        if (requests.Any(r => r.TokenIds.Length != NewTokens))
            throw new ArgumentException("every request of a batched forward must bring the same number of new tokens", nameof(requests));
        int longest = requests.Max(r => r.Start);
        PrefixLength = prefixLength ?? longest;
        if (PrefixLength < longest)
            throw new ArgumentOutOfRangeException(nameof(prefixLength), $"padded prefix {PrefixLength} is shorter than the longest prefix {longest}");
        int n = NewTokens, b = BatchSize, p = PrefixLength;

        BlockSize = blockSize;
        TokenIds = new long[b * n];
        Positions = new long[b * n];
        WriteRows = new long[b * n];
        ReadRows = new long[b * p];
        PrefixLengths = new int[b];
        // A long forward without placeholders (a prompt's prefill) leaves its O(n²) new-key mask to the device.
        bool hostMask = n <= hostMaskMaxTokens || requests.Any(r => r.Placeholders > 0);
        var newKeyMask = hostMask ? new bool[b * n * n] : null;
        bool spansBlocks = false;
        for (int r = 0; r < b; r++)
        {
            var request = requests[r];
            var pages = request.PageTable;
            int placeholders = request.Placeholders;
            if (placeholders < 0 || placeholders >= n)
                throw new ArgumentException($"sequence {r} has {placeholders} placeholders of {n} new tokens (0..{n - 1})", nameof(requests));
            if (request.Start + request.RealTokens > (long)pages.Count * pageSize)
                throw new ArgumentException($"sequence {r} would reach position {request.Start + request.RealTokens}, beyond its {pages.Count} page(s) of {pageSize} positions", nameof(requests));
            long Row(int position) => (long)pages[position / pageSize] * pageSize + position % pageSize;
            PrefixLengths[r] = request.Start;
            for (int i = 0; i < n; i++)
            {
                int position = request.PositionOf(i);
                TokenIds[r * n + i] = request.TokenIds[i];
                Positions[r * n + i] = position;
                WriteRows[r * n + i] = Row(position);
                if (newKeyMask is null)
                    continue;
                // Placeholders see each other; a real token sees the real tokens of its block and earlier ones, whose
                // positions increase with j: the keys placeholders .. last (the array starts all false).
                var visible = newKeyMask.AsSpan((r * n + i) * n, n);
                if (i < placeholders)
                {
                    visible[..placeholders].Fill(true);
                    continue;
                }
                int lastVisiblePosition = (position / blockSize + 1) * blockSize - 1;
                int last = Math.Min(n - 1, lastVisiblePosition - request.Start + placeholders);
                visible[placeholders..(last + 1)].Fill(true);
            }
            // The prefix's rows page by page; padding rows read an existing row of the same sequence (the mask hides them).
            var reads = ReadRows.AsSpan(r * p, p);
            for (int j = 0; j < request.Start; j += pageSize)
            {
                long first = (long)pages[j / pageSize] * pageSize;
                int count = Math.Min(pageSize, request.Start - j);
                for (int k = 0; k < count; k++)
                    reads[j + k] = first + k;
            }
            reads[request.Start..].Fill(Row(Math.Max(0, request.Start - 1)));
            spansBlocks |= request.Start / blockSize != (request.Start + request.RealTokens - 1) / blockSize;
        }
        NewKeyMask = newKeyMask;
        // A key is hidden from some query where a prefix is padded, a request's new tokens span blocks (block-causal), or
        // it has placeholders (which see no real token).
        HidesKeys = PrefixLengths.Any(length => length < p) || spansBlocks || requests.Any(r => r.Placeholders > 0);
    }

    public int BatchSize { get; }
    public int NewTokens { get; }
    public int PrefixLength { get; }
    public long[] TokenIds { get; }   // [B*n]
    public long[] Positions { get; }  // [B*n]
    public long[] WriteRows { get; }  // [B*n]
    public long[] ReadRows { get; }   // [B*P]

    /// <summary>Each request's cached length: its new tokens see prefix keys 0 .. length - 1 ([B]).</summary>
    public int[] PrefixLengths { get; }

    /// <summary>New-key masks of requests bringing more new tokens than this (and no placeholders: a prompt's prefill)
    /// are left to the device, which builds the block-causal rule from the positions (<see cref="BatchGeometry"/>): at
    /// 8,192 tokens the mask is 67 MB, its host loops and copy tens of milliseconds of a prefill.</summary>
    public const int HostNewKeyMaskMaxTokens = 128;

    /// <summary>Diffusion block size of the block-causal rule.</summary>
    public int BlockSize { get; }

    /// <summary>Which new keys each new token sees ([B, n, n]); null when the device builds it from the positions
    /// (more than <see cref="HostNewKeyMaskMaxTokens"/> tokens a request, no placeholders).</summary>
    public bool[]? NewKeyMask { get; }

    /// <summary>Whether some query may not see some key; when not (one block over equal prefixes), attention can run
    /// without a mask and SDPA picks its fused kernels.</summary>
    public bool HidesKeys { get; }
}
