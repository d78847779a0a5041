using Dllm.Runner;

namespace Dllm.Tests.Runner;

/// <summary>Which batch sizes are captured in CUDA graphs and which graph a batch replays (<see cref="GraphBatchSizes"/>).</summary>
public class GraphBatchSizesTests
{
    [Fact]
    public void The_default_sizes_follow_sglangs_steps_up_to_the_maximum()
    {
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 12, 16], GraphBatchSizes.Default(16).Sizes);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256], GraphBatchSizes.Default(256).Sizes);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 24, 32, 40, 48, 56, 64, 80, 96, 100], GraphBatchSizes.Default(100).Sizes);
        Assert.Equal([1, 2, 3], GraphBatchSizes.Default(3).Sizes);
        Assert.Equal([1], GraphBatchSizes.Default(1).Sizes);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 3)]
    [InlineData(9, 12)]
    [InlineData(12, 12)]
    [InlineData(17, 24)]
    [InlineData(65, 80)]
    [InlineData(129, 160)]
    [InlineData(256, 256)]
    public void A_batch_replays_the_graph_of_the_next_listed_size(int batch, int graph) =>
        Assert.Equal(graph, GraphBatchSizes.Default(256).GraphBatchFor(batch));

    [Fact]
    public void A_batch_beyond_the_largest_size_runs_op_by_op() =>
        Assert.Null(GraphBatchSizes.Default(16).GraphBatchFor(17));

    [Fact]
    public void Without_padding_only_listed_sizes_replay_graphs()
    {
        var sizes = new GraphBatchSizes([8, 2, 4, 2], padding: false);

        Assert.Equal([2, 4, 8], sizes.Sizes);
        Assert.Equal(4, sizes.GraphBatchFor(4));
        Assert.Null(sizes.GraphBatchFor(3));
        Assert.Null(sizes.GraphBatchFor(1));
    }

    [Fact]
    public void A_cache_without_scratch_pages_for_padding_rows_runs_unlisted_batches_op_by_op()
    {
        var sizes = GraphBatchSizes.Default(16);

        Assert.Null(sizes.GraphBatchFor(9, canPad: false));
        Assert.Equal(12, sizes.GraphBatchFor(12, canPad: false));
    }

    [Fact]
    public void Options_resolve_to_the_listed_sizes_within_the_maximum_or_the_default_up_to_it()
    {
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 24, 32], GraphBatchSizes.Resolve(null, null, maxRunningRequests: 32, padding: true).Sizes);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], GraphBatchSizes.Resolve(null, 8, maxRunningRequests: 32, padding: true).Sizes);
        Assert.Equal([3, 5], GraphBatchSizes.Resolve([5, 3, 40], 16, maxRunningRequests: 64, padding: true).Sizes);
        Assert.False(GraphBatchSizes.Resolve([5], null, 64, padding: false).Padding);
    }

    [Theory]
    [InlineData(new int[0], null, "cuda_graph_bs is empty")]
    [InlineData(new[] { 4, 0 }, null, "cuda_graph_bs: 0 is not a batch size")]
    [InlineData(new[] { 32, 64 }, 16, "cuda_graph_bs: none of 32, 64 is within cuda_graph_max_bs 16")]
    [InlineData(null, 0, "cuda_graph_max_bs must be at least 1 (got 0)")]
    public void Bad_sizes_get_a_message_that_names_the_setting(int[]? sizes, int? max, string message)
    {
        Assert.StartsWith(message, GraphBatchSizes.Problem(sizes, max));
        var error = Assert.Throws<ArgumentException>(() => GraphBatchSizes.Resolve(sizes, max, 16, padding: true));
        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public void Engine_options_name_the_field_of_a_bad_size()
    {
        var errors = DllmEngineOptionsValidator.Validate(new DllmEngineOptions { ModelPath = "", CudaGraphBatchSizes = [1, -2] }, checkModelPath: false);

        Assert.Equal(["CudaGraphBatchSizes: -2 is not a batch size (each must be at least 1)."], errors);
    }
}
