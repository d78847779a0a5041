namespace Dllm.Runner;

/// <summary>
/// The batch sizes steps are captured in CUDA graphs for (SGLang's <c>--cuda-graph-bs</c> and <c>--cuda-graph-max-bs</c>),
/// and whether a batch between two of them is padded up to the next (SGLang's <c>--disable-cuda-graph-padding</c> turns
/// that off). Every distinct batch shape is a graph of its own, captured on first use (tens of milliseconds on an H200)
/// and kept among a bounded number: with requests arriving and ending at different times, a graph per batch size would
/// capture a new graph for most sizes in 1 .. max and, beyond the cache's capacity, capture them again and again.
/// Padding bounds the graphs to this list: a batch of 9 replays the graph of 12, its last three rows padding rows
/// (<see cref="PaddedBatch"/>). A batch larger than the largest size, or off the list without padding, runs op by op.
/// </summary>
public sealed class GraphBatchSizes
{
    /// <param name="sizes">The batch sizes to capture (distinct or not, any order; each at least 1).</param>
    /// <param name="padding">Pad a batch up to the next size of the list (false: only batches of a listed size replay graphs).</param>
    /// <exception cref="ArgumentException">An empty list or a size below 1 (named <c>cuda_graph_bs</c>).</exception>
    public GraphBatchSizes(IEnumerable<int> sizes, bool padding = true)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        Sizes = [.. sizes.Distinct().Order()];
        if (Problem(Sizes, max: null) is string problem)
            throw new ArgumentException(problem, nameof(sizes));
        Padding = padding;
    }

    /// <summary>The sizes, ascending.</summary>
    public IReadOnlyList<int> Sizes { get; }

    /// <summary>Whether a batch is padded up to the next size.</summary>
    public bool Padding { get; }

    /// <summary>The largest size: larger batches run op by op.</summary>
    public int Max => Sizes[^1];

    /// <summary>
    /// SGLang's kind of default up to <paramref name="max"/> (at least 1): every size up to 8, 12, 16, then every 8 up to
    /// 64, every 16 up to 128, every 32 beyond, and <paramref name="max"/> itself. Below 8 a padding row's block costs a
    /// step real work (its experts are read for it), so those sizes are exact; above, a padded batch carries at most about a
    /// quarter of padding rows, which a step that reads every expert's weights anyway pays for in its attention and
    /// logits.
    /// </summary>
    public static GraphBatchSizes Default(int max, bool padding = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        var sizes = new List<int> { 1, 2, 3, 4, 5, 6, 7, 8, 12 };
        for (int size = 16; size <= max; size += size < 64 ? 8 : size < 128 ? 16 : 32)
            sizes.Add(size);
        sizes.RemoveAll(size => size > max);
        sizes.Add(max);
        return new GraphBatchSizes(sizes, padding);
    }

    /// <summary>
    /// The sizes an engine's options give: <paramref name="sizes"/> (<c>cuda_graph_bs</c>) up to <paramref name="max"/>
    /// (<c>cuda_graph_max_bs</c>) when given, else <see cref="Default"/> up to <paramref name="max"/> or, without it,
    /// <paramref name="maxRunningRequests"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The options' <see cref="Problem"/>.</exception>
    public static GraphBatchSizes Resolve(IEnumerable<int>? sizes, int? max, int maxRunningRequests, bool padding)
    {
        var listed = sizes?.ToList();
        if (Problem(listed, max) is string problem)
            throw new ArgumentException(problem, nameof(sizes));
        if (listed is null)
            return Default(max ?? Math.Max(1, maxRunningRequests), padding);
        return new GraphBatchSizes(max is int limit ? listed.Where(size => size <= limit) : listed, padding);
    }

    /// <summary>What is wrong with a list of sizes and a largest size, or null: a size or maximum below 1, an empty list,
    /// or none of the sizes within the maximum. Messages name them <paramref name="sizesField"/> and
    /// <paramref name="maxField"/> (the configuration's keys, a command line's flags).</summary>
    public static string? Problem(IReadOnlyCollection<int>? sizes, int? max, string sizesField = "cuda_graph_bs", string maxField = "cuda_graph_max_bs")
    {
        if (max < 1)
            return $"{maxField} must be at least 1 (got {max}).";
        if (sizes is null)
            return null;
        if (sizes.Count == 0)
            return $"{sizesField} is empty: list at least one batch size to capture (e.g. 1 2 4 8 16).";
        if (sizes.Min() < 1)
            return $"{sizesField}: {sizes.Min()} is not a batch size (each must be at least 1).";
        if (max is int limit && sizes.All(size => size > limit))
            return $"{sizesField}: none of {string.Join(", ", sizes)} is within {maxField} {limit}.";
        return null;
    }

    /// <summary>The batch size a graph for <paramref name="batch"/> requests is captured with: <paramref name="batch"/>
    /// itself when listed, else with padding (and <paramref name="canPad"/>: the cache has pages for padding rows) the next
    /// listed size; null when the batch runs op by op.</summary>
    public int? GraphBatchFor(int batch, bool canPad = true)
    {
        if (batch > Max)
            return null;
        int size = Sizes.First(size => size >= batch);
        return size == batch || Padding && canPad ? size : null;
    }

    /// <inheritdoc />
    public override string ToString() => $"[{string.Join(", ", Sizes)}]{(Padding ? ", padded" : "")}";
}
