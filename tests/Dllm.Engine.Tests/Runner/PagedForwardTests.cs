using Dllm.Model;
using Dllm.Runner;
using Dllm.Tests.Infrastructure;
using Dllm.Tests.Model;
using Dllm.Tests.Reference;
using TorchSharp;

namespace Dllm.Tests.Runner;

/// <summary>The paged K/V cache: sequences whose pages are scattered over the cache compute exactly what the same
/// sequences laid out contiguously compute, and what the float64 reference computes.</summary>
public class PagedForwardTests
{
    private const int BlockSize = 8;
    private const int PageSize = 8;

    private static (LLaDA2Config Config, ReferenceWeights Weights, LLaDA2Model Model) Create(int seed)
    {
        Torch.EnsureLoaded();
        var config = LLaDA2Shapes.Tiny(vocabSize: 64, layers: 2) with { MaxPositionEmbeddings = 256 };
        var weights = ReferenceWeights.Random(config, seed);
        return (config, weights, LLaDA2Model.Load(config, new ReferenceWeightSource(weights), torch.ScalarType.Float32, torch.CPU));
    }

    private static int[] Tokens(int count, int seed) => RandomTokens.Of(count, seed);

    // Three sequences: prefixes of 1, 3 and 0 pages, then a block of new tokens (their last page).
    private static readonly int[] Prefixes = [8, 24, 0];
    private static readonly int[][] Scattered = [[11, 3], [5, 14, 0, 9], [7]];

    /// <summary>Prefills every sequence's prefix (one forward each, writing the cache) and runs one batched step over
    /// the blocks after the prefixes; returns the step's logits.</summary>
    private static torch.Tensor PrefillThenStep(LLaDA2Model model, KvCache cache, IReadOnlyList<int>[] tables, int[][] sequences)
    {
        for (int s = 0; s < sequences.Length; s++)
        {
            if (Prefixes[s] > 0)
                model.RunForward([new ForwardRequest(tables[s], 0, sequences[s][..Prefixes[s]])], cache, BlockSize, writeCache: true, computeLogits: false);
        }
        var step = Enumerable.Range(0, sequences.Length).Select(s => new ForwardRequest(tables[s], Prefixes[s], sequences[s][Prefixes[s]..])).ToList();
        return model.RunForward(step, cache, BlockSize, writeCache: false)!;
    }

    [Fact]
    public void Scattered_pages_give_exactly_the_logits_of_contiguous_slots_and_match_the_float64_reference()
    {
        var (config, weights, model) = Create(31);
        using var _ = model;
        int[][] sequences = [Tokens(16, 1), Tokens(32, 2), Tokens(8, 3)];
        using var contiguous = model.CreateCache(pages: 3, pageSize: 64);
        using var paged = model.CreateCache(pages: 16, pageSize: PageSize);

        using var expected = PrefillThenStep(model, contiguous, [[0], [1], [2]], sequences);
        using var actual = PrefillThenStep(model, paged, Scattered, sequences);

        Assert.Equal(0, ModelAssert.MaxAbsDifference(expected, actual));
        for (int s = 0; s < sequences.Length; s++)
            ModelAssert.Close(actual[s], ReferenceLLaDA2.ForwardRange(config, weights, sequences[s], BlockSize, Prefixes[s], Prefixes[s] + BlockSize));
    }

    [Fact]
    public void A_clean_pass_writes_a_block_into_its_own_page_and_a_later_step_reads_it_there()
    {
        var (config, weights, model) = Create(32);
        using var _ = model;
        int[] sequence = Tokens(32, 4);
        using var cache = model.CreateCache(pages: 8, pageSize: PageSize);
        int[] table = [6, 2, 4, 1];

        model.RunForward([new ForwardRequest(table, 0, sequence[..8])], cache, BlockSize, writeCache: true, computeLogits: false);
        // A fused clean pass: the block at 8 (written) with the block at 16 (a step); then the step at 24.
        model.RunForward([new ForwardRequest(table, 8, sequence[8..24])], cache, BlockSize, writeCache: true)!.Dispose();
        model.RunForward([new ForwardRequest(table, 16, sequence[16..24])], cache, BlockSize, writeCache: true, computeLogits: false);
        using var logits = model.RunForward([new ForwardRequest(table, 24, sequence[24..])], cache, BlockSize, writeCache: false)!;

        ModelAssert.Close(logits[0], ReferenceLLaDA2.ForwardRange(config, weights, sequence, BlockSize, 24, 32));
    }

    [Fact]
    public void A_reloaded_geometry_rebuilds_its_rows_when_a_page_table_changes_at_the_same_start()
    {
        var (_, _, model) = Create(33);
        using var _ = model;
        int[] sequence = Tokens(24, 5), other = Tokens(16, 6);
        using var cache = model.CreateCache(pages: 8, pageSize: PageSize);
        int[] first = [3, 5, 0], second = [1, 7, 2];
        model.RunForward([new ForwardRequest(first, 0, sequence[..16])], cache, BlockSize, writeCache: true, computeLogits: false);
        model.RunForward([new ForwardRequest(second, 0, other)], cache, BlockSize, writeCache: true, computeLogits: false);
        List<ForwardRequest> a = [new(first, 16, sequence[16..])], b = [new(second, 16, sequence[16..])];

        using var inference = torch.inference_mode();
        using var geometry = BatchGeometry.ForReloading(a, BlockSize, PageSize, 256, torch.CPU);
        foreach (var requests in new[] { a, b, a })
        {
            geometry.Reload(requests, BlockSize, PageSize);
            using var reloaded = model.Forward(geometry, cache, writeCache: false, computeLogits: true, MoePath.AllExperts)!;
            using var fresh = model.RunForward(requests, cache, BlockSize, writeCache: false)!;
            Assert.True(ModelAssert.MaxAbsDifference(fresh, reloaded) < 1e-5); // padded prefix: another reduction order
        }
        using var fromFirst = model.RunForward(a, cache, BlockSize, writeCache: false)!;
        using var fromSecond = model.RunForward(b, cache, BlockSize, writeCache: false)!;
        Assert.True(ModelAssert.MaxAbsDifference(fromFirst, fromSecond) > 1e-3, "the two page tables hold different prefixes");
    }
    [Fact]
    public void A_fused_step_with_placeholders_steps_the_requests_without_a_resolved_block_and_stores_the_others_exactly()
    {
        var (config, weights, model) = Create(34);
        using var _ = model;
        int[] resolving = Tokens(32, 7), stepping = Tokens(32, 8);
        using var cache = model.CreateCache(pages: 12, pageSize: PageSize);
        int[] resolvingTable = [9, 2, 6, 4], steppingTable = [1, 10, 3, 8];
        // The first has 8 cached positions and a resolved block at 8..15 whose K/V are not stored yet; the second has
        // 16 cached positions and only its current block.
        model.RunForward([new ForwardRequest(resolvingTable, 0, resolving[..8])], cache, BlockSize, writeCache: true, computeLogits: false);
        model.RunForward([new ForwardRequest(steppingTable, 0, stepping[..16])], cache, BlockSize, writeCache: true, computeLogits: false);
        using var plainStep = model.RunForward([new ForwardRequest(steppingTable, 16, stepping[16..24])], cache, BlockSize, writeCache: false)!;

        using var fused = model.RunForward(
            [
                new ForwardRequest(resolvingTable, 8, resolving[8..24]),
                new ForwardRequest(steppingTable, 16, [.. stepping[16..24], .. stepping[16..24]], Placeholders: BlockSize),
            ], cache, BlockSize, writeCache: true)!;

        // Both current blocks get their logits as a plain step would: no one saw a placeholder.
        ModelAssert.Close(fused[0].narrow(0, BlockSize, BlockSize), ReferenceLLaDA2.ForwardRange(config, weights, resolving, BlockSize, 16, 24));
        ModelAssert.Close(fused[1].narrow(0, BlockSize, BlockSize), ReferenceLLaDA2.ForwardRange(config, weights, stepping, BlockSize, 16, 24));
        Assert.True(ModelAssert.MaxAbsDifference(fused[1].narrow(0, BlockSize, BlockSize), plainStep[0]) < 1e-5);
        // The resolved block was stored, and the placeholders wrote nowhere but the current block's own rows, which its
        // clean pass rewrites: after those, both sequences step on exactly as the reference does.
        model.RunForward([new ForwardRequest(resolvingTable, 16, resolving[16..24])], cache, BlockSize, writeCache: true, computeLogits: false);
        model.RunForward([new ForwardRequest(steppingTable, 16, stepping[16..24])], cache, BlockSize, writeCache: true, computeLogits: false);
        using var next = model.RunForward(
            [new ForwardRequest(resolvingTable, 24, resolving[24..]), new ForwardRequest(steppingTable, 24, stepping[24..])], cache, BlockSize, writeCache: false)!;
        ModelAssert.Close(next[0], ReferenceLLaDA2.ForwardRange(config, weights, resolving, BlockSize, 24, 32));
        ModelAssert.Close(next[1], ReferenceLLaDA2.ForwardRange(config, weights, stepping, BlockSize, 24, 32));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(16)]
    public void Placeholders_outside_0_to_the_new_tokens_less_one_are_refused(int placeholders)
    {
        var error = Assert.Throws<ArgumentException>(() => new BatchLayout([new ForwardRequest([0, 1], 0, Tokens(16, 9), placeholders)], BlockSize, PageSize));
        Assert.Contains($"{placeholders} placeholders of 16 new tokens", error.Message);
    }
    /// <summary>Two requests: 16 cached positions and a plain block; 8 cached, then a resolved block and a current block.
    /// And one with placeholders: 16 cached, its block copied in front.</summary>
    private static List<ForwardRequest> VisibilityCases() =>
    [
        new([0, 1, 2, 3], 16, Tokens(16, 10)),
        new([4, 5, 6, 7], 8, Tokens(16, 11)),
        new([8, 9, 10, 11], 16, Tokens(16, 12), Placeholders: 8),
    ];

    [Fact]
    public void A_layout_hides_keys_exactly_when_its_mask_has_a_hidden_key()
    {
        // Each case alone and over a padded prefix: one block over its own prefix hides nothing; two blocks, padding or
        // placeholders hide some key.
        List<ForwardRequest>[] batches =
        [
            [new([0, 1, 2], 16, Tokens(BlockSize, 1))],
            [new([0, 1, 2], 16, Tokens(BlockSize, 1)), new([3, 4, 5], 16, Tokens(BlockSize, 2))],
            [new([0, 1, 2], 8, Tokens(2 * BlockSize, 3))],
            [new([0, 1, 2], 16, Tokens(BlockSize, 1)), new([3, 4, 5], 8, Tokens(BlockSize, 2))],
            [new([0, 1, 2, 3], 16, Tokens(2 * BlockSize, 4), Placeholders: BlockSize)],
        ];
        bool[] expected = [false, false, true, true, true];
        for (int c = 0; c < batches.Length; c++)
        {
            var layout = new BatchLayout(batches[c], BlockSize, PageSize);
            bool hidden = layout.PrefixLengths.Any(length => length < layout.PrefixLength) || layout.NewKeyMask!.Contains(false);
            Assert.True(hidden == layout.HidesKeys, $"case {c}: the mask hides a key: {hidden}, HidesKeys: {layout.HidesKeys}");
            Assert.Equal(expected[c], layout.HidesKeys);
        }
    }

    [Fact]
    public void The_paged_kernels_inputs_are_each_requests_cached_length_and_which_new_keys_each_token_sees()
    {
        Torch.EnsureLoaded();
        var requests = VisibilityCases();
        using var inference = torch.inference_mode();
        using var geometry = new BatchGeometry(new BatchLayout(requests, BlockSize, PageSize, prefixLength: 24), torch.CPU, alwaysMask: true);

        Assert.Equal([16, 8, 16], geometry.PrefixLengths!.data<int>().ToArray());
        var mask = geometry.NewKeyMask!.data<bool>().ToArray();
        Assert.Equal([3, 16, 16], geometry.NewKeyMask.shape);
        bool Sees(int r, int i, int j) => mask[(r * 16 + i) * 16 + j];
        for (int i = 0; i < 16; i++)
        {
            for (int j = 0; j < 16; j++)
            {
                Assert.Equal(j / BlockSize <= i / BlockSize, Sees(0, i, j)); // block-causal over two blocks
                Assert.Equal(j / BlockSize <= i / BlockSize, Sees(1, i, j));
                Assert.Equal(i < 8 ? j < 8 : j >= 8, Sees(2, i, j));        // placeholders see only each other
            }
        }
    }
    [Fact]
    public void A_long_forward_builds_its_new_key_mask_on_the_device_with_the_host_rules_logits()
    {
        var (_, _, model) = Create(31);
        using (model)
        {
            const int n = 160; // more than BatchLayout.HostNewKeyMaskMaxTokens: a prompt's prefill
            using var cache = model.CreateCache(pages: 48, pageSize: PageSize);
            List<ForwardRequest> requests = [new(Enumerable.Range(0, 22).ToArray(), 16, Tokens(n, 40)), new(Enumerable.Range(22, 20).ToArray(), 0, Tokens(n, 41))];
            using var inference = torch.inference_mode();
            var device = new BatchLayout(requests, BlockSize, PageSize);
            var host = new BatchLayout(requests, BlockSize, PageSize, hostMaskMaxTokens: int.MaxValue);
            using var onDevice = new BatchGeometry(device, torch.CPU);
            using var onHost = new BatchGeometry(host, torch.CPU);

            Assert.Null(device.NewKeyMask);
            Assert.NotNull(host.NewKeyMask);
            Assert.True(device.HidesKeys && host.HidesKeys);
            Assert.Equal(host.NewKeyMask, onDevice.NewKeyMask!.data<bool>().ToArray());
            using var expected = model.Forward(onHost, cache, writeCache: false, computeLogits: true, MoePath.AllExperts)!;
            using var actual = model.Forward(onDevice, cache, writeCache: false, computeLogits: true, MoePath.AllExperts)!;
            Assert.Equal(expected.data<float>().ToArray(), actual.data<float>().ToArray());
        }
    }

    [Fact]
    public void The_additive_mask_built_on_the_device_is_the_block_causal_rule_over_padded_prefixes_and_folded_heads()
    {
        Torch.EnsureLoaded();
        var requests = VisibilityCases(); // with a prefix padded to 24: the second's last 16 columns are padding
        const int prefix = 24, n = 16, groups = 2;
        using var inference = torch.inference_mode();
        using var geometry = new BatchGeometry(new BatchLayout(requests, BlockSize, PageSize, prefixLength: prefix), torch.CPU, alwaysMask: true);
        geometry.BuildMask(groups, torch.ScalarType.Float32);

        Assert.Equal([3, 1, groups * n, prefix + n], geometry.FoldedMask!.shape);
        var additive = geometry.FoldedMask.data<float>().ToArray();
        Assert.All(additive, v => Assert.True(v == 0 || float.IsNegativeInfinity(v), $"{v} is neither 0 nor -inf"));
        var mask = additive.Select(v => v == 0).ToArray();
        for (int r = 0; r < requests.Count; r++)
        {
            var request = requests[r];
            for (int q = 0; q < groups * n; q++)
            {
                int i = q % n; // head g's rows repeat the token rows
                for (int key = 0; key < prefix + n; key++)
                {
                    bool expected;
                    if (key < prefix)
                        expected = key < request.Start;
                    else
                    {
                        int j = key - prefix, placeholders = request.Placeholders;
                        expected = i < placeholders ? j < placeholders
                            : j >= placeholders && (request.Start + j - placeholders) / BlockSize <= (request.Start + i - placeholders) / BlockSize;
                    }
                    Assert.True(expected == mask[((r * groups * n) + q) * (prefix + n) + key], $"request {r}, row {q}, key {key}: expected {expected}");
                }
            }
        }
    }

    [Fact]
    public void Logits_from_a_later_token_are_the_full_forwards_last_rows()
    {
        var (_, _, model) = Create(35);
        using var _ = model;
        using var cache = model.CreateCache(pages: 8, pageSize: PageSize);
        int[] sequence = Tokens(24, 13);
        model.RunForward([new ForwardRequest([0, 1, 2], 0, sequence[..8])], cache, BlockSize, writeCache: true, computeLogits: false);
        List<ForwardRequest> fused = [new([0, 1, 2], 8, sequence[8..24]), new([3, 4, 5], 0, Tokens(16, 14))];

        using var full = model.RunForward(fused, cache, BlockSize, writeCache: false)!;
        using var last = model.RunForward(fused, cache, BlockSize, writeCache: false, logitsFrom: BlockSize)!;

        Assert.Equal([2, BlockSize, 64], last.shape);
        Assert.True(ModelAssert.MaxAbsDifference(full.narrow(1, BlockSize, BlockSize), last) < 1e-5);
    }
}
