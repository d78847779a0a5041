using Dllm.Model;
using Dllm.Native;
using Dllm.Runner;
using Dllm.Tests.Infrastructure;
using Dllm.Tests.Reference;
using TorchSharp;

namespace Dllm.Tests.Model;

/// <summary>What a captured forward relies on, checked on the CPU (CI has no GPU; bench's graph-check covers the replay):
/// a padded prefix changes nothing, a reloaded geometry gives the next forward's result, the grouped-GEMM path agrees
/// with the others, and a model without CUDA says why graphs are off.</summary>
public class CudaGraphPreparationTests
{
    private const int BlockSize = 8;

    private static LLaDA2Model Create(int seed, int layers = 2)
    {
        Torch.EnsureLoaded();
        var config = LLaDA2Shapes.Tiny(vocabSize: 64, layers: layers) with { MaxPositionEmbeddings = 512 };
        return LLaDA2Model.Load(config, new ReferenceWeightSource(ReferenceWeights.Random(config, seed)), torch.ScalarType.Float32, torch.CPU);
    }

    private static int[] Tokens(int count, int seed) => RandomTokens.Of(count, seed);

    private static void Prefill(LLaDA2Model model, KvCache cache, int slot, int[] tokens) =>
        model.RunForward([new ForwardRequest(slot, 0, tokens)], cache, BlockSize, writeCache: true, computeLogits: false);

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 256)]
    [InlineData(256, 256)]
    [InlineData(257, 512)]
    [InlineData(1056, 1280)]
    public void Prefixes_are_padded_to_the_next_bucket(int longest, int padded) =>
        Assert.Equal(padded, ForwardGraphs.PaddedPrefix(longest));

    [Fact]
    public void A_padded_prefix_with_an_always_present_mask_gives_the_unpadded_logits()
    {
        using var model = Create(21);
        using var cache = model.CreateCache(pages: 2, pageSize: 128);
        int[] a = Tokens(24, 1), b = Tokens(8, 2);
        Prefill(model, cache, 0, a);
        Prefill(model, cache, 1, b);
        List<ForwardRequest> step = [new(0, 24, Tokens(BlockSize, 3)), new(1, 8, Tokens(BlockSize, 4))];
        using var unpadded = model.RunForward(step, cache, BlockSize, writeCache: false)!;

        using var inference = torch.inference_mode();
        using var geometry = new BatchGeometry(new BatchLayout(step, BlockSize, cache.PageSize, prefixLength: 64), torch.CPU, alwaysMask: true);
        using var padded = model.Forward(geometry, cache, writeCache: false, computeLogits: true, MoePath.AllExperts)!;

        Assert.Equal(64, geometry.PrefixLength);
        Assert.True(ModelAssert.MaxAbsDifference(unpadded, padded) < 1e-5);
    }

    [Fact]
    public void A_reloaded_geometry_and_a_logits_buffer_give_the_next_forwards_logits()
    {
        using var model = Create(22);
        using var cache = model.CreateCache(pages: 2, pageSize: 128);
        Prefill(model, cache, 0, Tokens(16, 5));
        Prefill(model, cache, 1, Tokens(40, 6));
        List<ForwardRequest> first = [new(0, 16, Tokens(BlockSize, 7)), new(1, 40, Tokens(BlockSize, 8))];
        List<ForwardRequest> second = [new(1, 40, Tokens(BlockSize, 9)), new(0, 16, Tokens(BlockSize, 10))];
        using var expected = model.RunForward(second, cache, BlockSize, writeCache: false)!;

        using var inference = torch.inference_mode();
        using var geometry = new BatchGeometry(new BatchLayout(first, BlockSize, cache.PageSize, 256), torch.CPU, alwaysMask: true);
        using var buffer = torch.full([2, BlockSize, model.Config.VocabSize], float.NaN);
        model.Forward(geometry, cache, writeCache: false, computeLogits: true, MoePath.AllExperts, buffer);
        geometry.Load(new BatchLayout(second, BlockSize, cache.PageSize, 256));
        Assert.Null(model.Forward(geometry, cache, writeCache: false, computeLogits: true, MoePath.AllExperts, buffer));

        Assert.True(ModelAssert.MaxAbsDifference(expected, buffer) < 1e-5);
    }

    [Fact]
    public void Reloading_copies_new_tokens_for_the_same_slots_and_starts_and_rebuilds_the_rest_otherwise()
    {
        using var model = Create(25);
        using var cache = model.CreateCache(pages: 3, pageSize: 128);
        Prefill(model, cache, 0, Tokens(16, 12));
        Prefill(model, cache, 1, Tokens(24, 13));
        Prefill(model, cache, 2, Tokens(32, 14));
        List<ForwardRequest> step1 = [new(0, 16, Tokens(BlockSize, 15)), new(1, 24, Tokens(BlockSize, 16))];
        List<ForwardRequest> step2 = [new(0, 16, Tokens(BlockSize, 17)), new(1, 24, Tokens(BlockSize, 18))]; // tokens only
        List<ForwardRequest> moved = [new(2, 32, Tokens(BlockSize, 19)), new(0, 8, Tokens(BlockSize, 20))]; // slots, starts

        using var inference = torch.inference_mode();
        using var geometry = BatchGeometry.ForReloading(step1, BlockSize, cache.PageSize, 256, torch.CPU);
        AssertReloadsGiveFreshLogits(model, cache, geometry, step1, step2, moved, step1);
        Assert.Throws<ArgumentException>(() => geometry.Reload([new(0, 16, Tokens(BlockSize - 1, 21)), new(1, 24, Tokens(BlockSize, 22))], BlockSize, cache.PageSize));
    }

    [Fact]
    public void Reloading_with_one_request_moved_rewrites_its_rows_and_gives_a_fresh_layouts_logits()
    {
        using var model = Create(26);
        using var cache = model.CreateCache(pages: 4, pageSize: 128);
        for (int slot = 0; slot < 4; slot++)
            Prefill(model, cache, slot, Tokens(16 + 8 * slot, 30 + slot));
        List<ForwardRequest> step = [new(0, 16, Tokens(BlockSize, 40)), new(1, 24, Tokens(BlockSize, 41)), new(2, 32, Tokens(BlockSize, 42))];
        List<ForwardRequest> oneMoved = [step[0], new(1, 16, Tokens(BlockSize, 43)), step[2]];             // a new start
        List<ForwardRequest> oneSwapped = [step[0], new(1, 16, Tokens(BlockSize, 44)), new(3, 40, Tokens(BlockSize, 45))]; // another slot
        List<ForwardRequest> placeholders = [step[0], new([1], 16, Tokens(BlockSize, 46), Placeholders: 3), oneSwapped[2]];

        using var inference = torch.inference_mode();
        using var geometry = BatchGeometry.ForReloading(step, BlockSize, cache.PageSize, 256, torch.CPU);
        AssertReloadsGiveFreshLogits(model, cache, geometry, oneMoved, oneSwapped, placeholders, step);
    }

    /// <summary>Reloads <paramref name="geometry"/> with each batch in turn; its forward must give a fresh layout's logits.</summary>
    private static void AssertReloadsGiveFreshLogits(LLaDA2Model model, KvCache cache, BatchGeometry geometry, params List<ForwardRequest>[] batches)
    {
        foreach (var requests in batches)
        {
            geometry.Reload(requests, BlockSize, cache.PageSize);
            using var reloaded = model.Forward(geometry, cache, writeCache: false, computeLogits: true, MoePath.AllExperts)!;
            using var fresh = model.RunForward(requests, cache, BlockSize, writeCache: false)!;
            Assert.True(ModelAssert.MaxAbsDifference(fresh, reloaded) < 1e-5);
        }
    }

    [Fact]
    public void A_layout_of_another_shape_is_refused_by_a_geometry_naming_both()
    {
        Torch.EnsureLoaded();
        using var inference = torch.inference_mode();
        List<ForwardRequest> one = [new(0, 8, Tokens(BlockSize, 1))];
        using var geometry = new BatchGeometry(new BatchLayout(one, BlockSize, 64, 256), torch.CPU, alwaysMask: true);

        var error = Assert.Throws<ArgumentException>(() => geometry.Load(new BatchLayout([.. one, new(1, 8, Tokens(BlockSize, 2))], BlockSize, 64, 256)));
        Assert.Contains("[2×8, prefix 256]", error.Message);
        Assert.Contains("[1×8, prefix 256]", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchLayout(one, BlockSize, 64, prefixLength: 4));
    }

    [Fact]
    public void The_grouped_GEMM_path_gives_the_logits_of_the_all_experts_path()
    {
        using var model = Create(23, layers: 3);
        using var cache = model.CreateCache(1, 128);
        int[] tokens = Tokens(40, 11);

        using var all = model.RunForward([new ForwardRequest(0, 0, tokens)], cache, BlockSize, writeCache: false, moePath: MoePath.AllExperts)!;
        using var grouped = model.RunForward([new ForwardRequest(0, 0, tokens)], cache, BlockSize, writeCache: false, moePath: MoePath.GroupedGemm)!;

        using var scale = all.abs().max();
        Assert.True(ModelAssert.MaxAbsDifference(all, grouped) / scale.item<float>() < 1e-5);
    }

    [Fact]
    public void The_per_group_matmul_multiplies_each_groups_rows_by_its_matrix()
    {
        Torch.EnsureLoaded();
        const int rows = 9, n = 3;
        using var operands = new GroupedOperands(seed: 4, rows, k: 5, n, ends: [2, 2, 7, 9]); // group 1 is empty

        using var result = GroupedMatmul.Run(operands.A, operands.B, operands.EndsTensor);

        for (int r = 0; r < rows; r++)
            for (int j = 0; j < n; j++)
                Assert.Equal(operands.Expected(r, operands.GroupOf(r), j), result[r, j].item<double>(), 12);
    }

    [Fact]
    public void Without_CUDA_graphs_stay_off_with_the_reason_and_Auto_keeps_the_CPU_paths()
    {
        using var model = Create(24);
        using var runner = new ForwardRunner(model);

        string? why = runner.EnableCudaGraphs();

        Assert.NotNull(why);
        Assert.Contains("CUDA device", why);
        Assert.False(runner.UsesCudaGraphs);
        Assert.Equal(MoePath.AllExperts, runner.ResolveMoePath(MoePath.Auto, 32));
        Assert.Equal(MoePath.GroupedByExpert, runner.ResolveMoePath(MoePath.Auto, 512));
        Assert.Equal(MoePath.GroupedGemm, runner.ResolveMoePath(MoePath.GroupedGemm, 32));
        Assert.False(CudaNative.Serves(torch.CPU));
    }

    [Fact]
    public void A_missing_native_library_is_named_with_how_to_build_it()
    {
        Torch.EnsureLoaded();
        if (CudaNative.IsAvailable)
            return; // a developer machine with the library next to the tests
        Assert.Contains(CudaNative.LibraryName, CudaNative.UnavailableReason);
        Assert.Contains("build.sh", CudaNative.UnavailableReason);
    }
}
