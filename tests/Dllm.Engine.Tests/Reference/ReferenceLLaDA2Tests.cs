using Dllm.Model;
using Dllm.Tests.Infrastructure;
using R = Dllm.Tests.Reference.ReferenceLLaDA2;

namespace Dllm.Tests.Reference;

/// <summary>Hand-computed cases that pin the semantics of the float64 reference (not of the engine).</summary>
public class ReferenceLLaDA2Tests
{
    private static readonly LLaDA2Config Tiny = LLaDA2Shapes.Tiny(vocabSize: 64, layers: 2);
    private static readonly int[] Tokens = [5, 17, 3, 42, 8, 60, 1, 33, 12, 7];

    /// <summary>A routing-only config: 8 experts in 4 groups of 2, keep 2 groups, choose 2 experts.</summary>
    private static readonly LLaDA2Config Routing8 = Tiny with
    {
        NumExperts = 8, NumExpertGroups = 4, TopKGroups = 2, NumExpertsPerToken = 2, RoutedScalingFactor = 2.5,
    };

    // ---------------------------------------------------------------- RmsNorm, RoPE

    [Fact]
    public void RmsNorm_matches_hand_computation()
    {
        // mean(x²) = (1 + 4 + 9 + 16) / 4 = 7.5; + eps 0.5 = 8; scale 1/√8.
        double s = 1 / Math.Sqrt(8);
        var y = R.RmsNorm([1, 2, 3, 4], [1, 1, 2, 0.5], eps: 0.5);
        double[] expected = [1 * s, 2 * s, 3 * 2 * s, 4 * 0.5 * s];
        for (int i = 0; i < 4; i++)
            Assert.Equal(expected[i], y[i], 1e-15);
    }

    [Fact]
    public void Rope_at_position_zero_is_identity()
    {
        var x = Enumerable.Range(0, 16).Select(i => Math.Sin(i + 1.0) * 3).ToArray();
        Assert.Equal(x, R.ApplyRope(x, position: 0, rotaryDim: 8, theta: 600000));
    }

    [Fact]
    public void Rope_rotates_pairs_j_and_j_plus_half_of_the_first_rotary_dims_only()
    {
        // head dim 6, rotary dim 4, θ = 10000: inv_freq = [10000^0, 10000^(-2/4)] = [1, 0.01]; p = 3.
        double[] x = [1, 2, 3, 4, 5, 6];
        var y = R.ApplyRope(x, position: 3, rotaryDim: 4, theta: 10000);
        double a0 = 3.0, a1 = 0.03;
        double[] expected =
        [
            1 * Math.Cos(a0) - 3 * Math.Sin(a0),
            2 * Math.Cos(a1) - 4 * Math.Sin(a1),
            3 * Math.Cos(a0) + 1 * Math.Sin(a0),
            4 * Math.Cos(a1) + 2 * Math.Sin(a1),
            5,
            6,
        ];
        for (int i = 0; i < 6; i++)
            Assert.Equal(expected[i], y[i], 1e-14);
    }

    [Fact]
    public void Rope_dot_products_depend_only_on_the_relative_position()
    {
        var q = Enumerable.Range(0, 16).Select(i => Math.Cos(i * 0.7)).ToArray();
        var k = Enumerable.Range(0, 16).Select(i => Math.Sin(i * 1.3 + 0.2)).ToArray();
        double Score(int pq, int pk) => Dot(R.ApplyRope(q, pq, 8, 600000), R.ApplyRope(k, pk, 8, 600000));
        Assert.Equal(Score(7, 3), Score(104, 100), 1e-12);
        Assert.True(Math.Abs(Score(7, 3) - Score(7, 4)) > 1e-6);
    }

    // ---------------------------------------------------------------- attention, mask, GQA

    [Fact]
    public void BlockCausalAllows_is_bidirectional_inside_a_block_and_causal_across()
    {
        Assert.True(R.BlockCausalAllows(0, 3, 4));    // same block, later token
        Assert.True(R.BlockCausalAllows(3, 0, 4));
        Assert.False(R.BlockCausalAllows(3, 4, 4));   // next block
        Assert.True(R.BlockCausalAllows(5, 3, 4));    // earlier block
        Assert.True(R.BlockCausalAllows(5, 7, 4));
        Assert.False(R.BlockCausalAllows(7, 8, 4));
        Assert.False(R.BlockCausalAllows(0, 1, 1));   // B = 1 is plain causal
        Assert.True(R.BlockCausalAllows(1, 0, 1));
    }

    [Fact]
    public void Forward_is_block_causal_across_blocks_and_bidirectional_inside()
    {
        var w = ReferenceWeights.Random(Tiny, seed: 1);
        const int B = 4;                                     // blocks [0..3] [4..7] [8..9]
        var baseline = R.Forward(Tiny, w, Tokens, B);

        var later = R.Forward(Tiny, w, With(Tokens, 5, 2), B);       // change a token of block 1
        Assert.Equal(0, MaxAbsDiff(baseline, later, 0, 4));          // block 0 does not see it, bit for bit
        for (int row = 4; row < 10; row++)
            Assert.True(RowDiff(baseline, later, row) > 1e-6, $"row {row} must see token 5");

        var earlier = R.Forward(Tiny, w, With(Tokens, 1, 9), B);     // change a token of block 0
        for (int row = 0; row < 10; row++)
            Assert.True(RowDiff(baseline, earlier, row) > 1e-6, $"row {row} must see token 1");

        var sameBlock = R.Forward(Tiny, w, With(Tokens, 6, 30), B);  // token 4 sees token 6 (bidirectional)
        Assert.True(RowDiff(baseline, sameBlock, 4) > 1e-6);
        Assert.Equal(0, MaxAbsDiff(baseline, sameBlock, 0, 4));

        var last = R.Forward(Tiny, w, With(Tokens, 9, 0), B);        // partial last block
        Assert.Equal(0, MaxAbsDiff(baseline, last, 0, 8));
        Assert.True(RowDiff(baseline, last, 8) > 1e-6);
    }

    [Fact]
    public void Block_size_one_is_causal_and_a_block_covering_everything_is_bidirectional()
    {
        var w = ReferenceWeights.Random(Tiny, seed: 2);
        int[] tokens = Tokens[..6];
        var changed = With(tokens, 3, 50);
        var causalA = R.Forward(Tiny, w, tokens, 1);
        var causalB = R.Forward(Tiny, w, changed, 1);
        Assert.Equal(0, MaxAbsDiff(causalA, causalB, 0, 3));
        Assert.True(RowDiff(causalA, causalB, 3) > 1e-6);

        var fullA = R.Forward(Tiny, w, tokens, 6);
        var fullB = R.Forward(Tiny, w, changed, 6);
        Assert.True(RowDiff(fullA, fullB, 0) > 1e-6);
    }

    [Fact]
    public void ForwardRange_returns_the_rows_of_the_full_forward()
    {
        var w = ReferenceWeights.Random(Tiny, seed: 3);
        var full = R.Forward(Tiny, w, Tokens, 4);
        var range = R.ForwardRange(Tiny, w, Tokens, 4, 4, 8);
        Assert.Equal(4, range.GetLength(0));
        Assert.Equal(Tiny.VocabSize, range.GetLength(1));
        for (int t = 0; t < 4; t++)
            for (int j = 0; j < Tiny.VocabSize; j++)
                Assert.Equal(full[t + 4, j], range[t, j]);
    }

    [Fact]
    public void Gqa_with_one_kv_head_serves_every_query_head_from_the_same_keys_and_values()
    {
        var (q, k, v) = RandomHeads(tokens: 5, nq: 4, nkv: 1, hd: 8, seed: 4);
        for (int t = 0; t < 5; t++)
            q[t][2] = (double[])q[t][0].Clone();             // two query heads with identical queries
        var o = R.AttendHeads(q, k, v, blockSize: 2);
        for (int t = 0; t < 5; t++)
        {
            Assert.Equal(o[t][0], o[t][2]);
            // Every head is single-head attention against KV head 0.
            for (int head = 0; head < 4; head++)
                AssertClose(SingleHead(q, k, v, t, head, kvHead: 0, blockSize: 2), o[t][head], 1e-14);
        }
    }

    [Fact]
    public void Gqa_query_head_h_uses_kv_head_h_over_group()
    {
        var (q, k, v) = RandomHeads(tokens: 4, nq: 4, nkv: 2, hd: 8, seed: 5);
        for (int t = 0; t < 4; t++)
            for (int head = 1; head < 4; head++)
                q[t][head] = (double[])q[t][0].Clone();      // all query heads identical
        var o = R.AttendHeads(q, k, v, blockSize: 4);
        for (int t = 0; t < 4; t++)
        {
            Assert.Equal(o[t][0], o[t][1]);                  // heads 0, 1 -> KV head 0
            Assert.Equal(o[t][2], o[t][3]);                  // heads 2, 3 -> KV head 1
            Assert.NotEqual(o[t][0], o[t][2]);
            AssertClose(SingleHead(q, k, v, t, 3, kvHead: 1, blockSize: 4), o[t][3], 1e-14);
        }
    }

    [Fact]
    public void Gqa_model_equals_the_model_with_its_kv_heads_replicated()
    {
        // nkv = 2 with KV heads replicated in the fused QKV rows (head g -> heads 2g, 2g+1) must equal nkv = 4:
        // pins the row layout (Q heads, then K heads, then V heads) and the h / group mapping.
        var w = ReferenceWeights.Random(Tiny, seed: 6);
        var mha = Tiny with { NumKeyValueHeads = 4 };
        var wide = w.Clone();
        int hd = Tiny.HeadDim, h = Tiny.HiddenSize, nq = 4;
        for (int l = 0; l < Tiny.NumHiddenLayers; l++)
        {
            string name = $"model.layers.{l}.attention.query_key_value.weight";
            var narrow = w.Get(name, (nq + 4) * hd, h);
            var rows = new double[(nq + 8) * hd * h];
            void CopyHead(int from, int to) => Array.Copy(narrow, from * hd * h, rows, to * hd * h, hd * h);
            for (int head = 0; head < nq; head++)
                CopyHead(head, head);
            for (int g = 0; g < 4; g++)
            {
                CopyHead(nq + g / 2, nq + g);            // K
                CopyHead(nq + 2 + g / 2, nq + 4 + g);    // V
            }
            wide.Set(name, rows, (nq + 8) * hd, h);
        }
        var expected = R.Forward(mha, wide, Tokens, 4);
        var actual = R.Forward(Tiny, w, Tokens, 4);
        Assert.True(MaxAbsDiff(expected, actual, 0, Tokens.Length) < 1e-12);
    }

    [Fact]
    public void Attention_matches_a_direct_recomputation_for_one_query()
    {
        // Written out independently: slice fused QKV by heads, qk-norm, then RoPE, GQA, scale 1/√hd, dense.
        var config = Tiny;
        var w = ReferenceWeights.Random(config, seed: 7);
        int h = config.HiddenSize, hd = config.HeadDim, nq = 4, nkv = 2, tokens = 3, query = 2;
        var x = Enumerable.Range(0, tokens).Select(t => Enumerable.Range(0, h).Select(i => Math.Sin(0.3 * i + t)).ToArray()).ToArray();
        var attention = R.Attention(config, w, 1, x, blockSize: 2);   // query 2 is in block 1: sees 0..2

        var qkvW = w.Get("model.layers.1.attention.query_key_value.weight", (nq + 2 * nkv) * hd, h);
        var qn = w.Get("model.layers.1.attention.query_layernorm.weight", hd);
        var kn = w.Get("model.layers.1.attention.key_layernorm.weight", hd);
        var dense = w.Get("model.layers.1.attention.dense.weight", h, nq * hd);
        double[] HeadRow(int t, int row0)
        {
            var r = new double[hd];
            for (int d = 0; d < hd; d++)
                for (int i = 0; i < h; i++)
                    r[d] += qkvW[(row0 + d) * h + i] * x[t][i];
            return r;
        }
        var concat = new double[nq * hd];
        for (int head = 0; head < nq; head++)
        {
            int g = head / 2;
            var qv = R.ApplyRope(R.RmsNorm(HeadRow(query, head * hd), qn, 1e-6), query, 8, 600000);
            var logits = new double[tokens];
            for (int j = 0; j < tokens; j++)
            {
                var kv = R.ApplyRope(R.RmsNorm(HeadRow(j, (nq + g) * hd), kn, 1e-6), j, 8, 600000);
                logits[j] = Dot(qv, kv) / Math.Sqrt(hd);
            }
            var p = R.Softmax(logits);
            for (int j = 0; j < tokens; j++)
            {
                var vv = HeadRow(j, (nq + nkv + g) * hd);
                for (int d = 0; d < hd; d++)
                    concat[head * hd + d] += p[j] * vv[d];
            }
        }
        AssertClose(R.MatVec(dense, h, nq * hd, concat), attention[query], 1e-12);
    }

    [Fact]
    public void Qk_norm_makes_attention_invariant_to_the_scale_of_the_q_and_k_rows()
    {
        var w = ReferenceWeights.Random(Tiny, seed: 8);
        var scaled = w.Clone();
        var qkv = scaled["model.layers.0.attention.query_key_value.weight"].Data;
        int qkRows = (4 + 2) * Tiny.HeadDim * Tiny.HiddenSize;
        for (int i = 0; i < qkRows; i++)
            qkv[i] *= 7;
        var x = Enumerable.Range(0, 5).Select(t => Enumerable.Range(0, 64).Select(i => Math.Cos(0.1 * i * t + t)).ToArray()).ToArray();
        var a = R.Attention(Tiny, w, 0, x, 4);
        var b = R.Attention(Tiny, scaled, 0, x, 4);
        for (int t = 0; t < 5; t++)
            AssertClose(a[t], b[t], 1e-5);
        // Without qk-norm the scale matters.
        var noNorm = Tiny with { UseQkNorm = false };
        Assert.True(Math.Abs(R.Attention(noNorm, w, 0, x, 4)[4][0] - R.Attention(noNorm, scaled, 0, x, 4)[4][0]) > 1e-6);
    }

    // ---------------------------------------------------------------- routing

    [Fact]
    public void Route_bias_changes_the_choice_but_weights_use_the_unbiased_scores()
    {
        var config = Routing8 with { NumExpertGroups = 1, TopKGroups = 1 };
        double[] s = [0.9, 0.8, 0.3, 0.2, 0.1, 0.1, 0.1, 0.1];
        var (plain, plainW) = R.RouteScores(config, s, new double[8]);
        Assert.Equal([0, 1], plain);
        Assert.Equal(0.9 / 1.7 * 2.5, plainW[0], 1e-14);
        Assert.Equal(0.8 / 1.7 * 2.5, plainW[1], 1e-14);

        double[] bias = [0, 0, 1.0, 0, 0, 0, 0, 0];          // selection 1.3 for expert 2
        var (biased, biasedW) = R.RouteScores(config, s, bias);
        Assert.Equal([2, 0], biased);
        Assert.Equal(0.3 / 1.2 * 2.5, biasedW[0], 1e-14);     // unbiased 0.3, not 1.3
        Assert.Equal(0.9 / 1.2 * 2.5, biasedW[1], 1e-14);
    }

    [Fact]
    public void Route_excludes_a_group_with_a_low_top2_sum_even_if_it_holds_the_best_expert()
    {
        // groups of 2: g0 {0.95, 0.05} sum 1.00; g1 {0.70, 0.50} 1.20; g2 {0.58, 0.53} 1.11; g3 {0.1, 0.1} 0.2.
        double[] s = [0.95, 0.05, 0.70, 0.50, 0.58, 0.53, 0.10, 0.10];
        var (experts, weights) = R.RouteScores(Routing8, s, new double[8]);
        Assert.Equal([2, 4], experts);                        // not expert 0 (0.95): group 0 was dropped
        Assert.Equal(0.70 / 1.28 * 2.5, weights[0], 1e-14);
        Assert.Equal(0.58 / 1.28 * 2.5, weights[1], 1e-14);

        // With all 4 groups kept the best expert is chosen.
        var (all, _) = R.RouteScores(Routing8 with { TopKGroups = 4 }, s, new double[8]);
        Assert.Equal([0, 2], all);
    }

    [Fact]
    public void Route_group_scores_use_the_biased_selection_scores()
    {
        double[] s = [0.95, 0.05, 0.70, 0.50, 0.58, 0.53, 0.10, 0.10];
        double[] bias = [0, 0.3, 0, 0, 0, 0, 0, 0];           // g0 selection sum 0.95 + 0.35 = 1.30: now kept, g2 dropped
        var (experts, weights) = R.RouteScores(Routing8, s, bias);
        Assert.Equal([0, 2], experts);
        Assert.Equal(0.95 / 1.65 * 2.5, weights[0], 1e-14);
    }

    [Fact]
    public void Route_weights_sum_to_the_scaling_factor_and_are_raw_scores_without_normalisation()
    {
        var rng = new Random(9);
        for (int trial = 0; trial < 20; trial++)
        {
            var s = Enumerable.Range(0, 16).Select(_ => rng.NextDouble()).ToArray();
            var bias = Enumerable.Range(0, 16).Select(_ => (rng.NextDouble() - 0.5) * 0.2).ToArray();
            var (experts, weights) = R.RouteScores(Tiny, s, bias);
            Assert.Equal(Tiny.NumExpertsPerToken, experts.Distinct().Count());
            Assert.Equal(2.5, weights.Sum(), 1e-12);
            // At most TopKGroups distinct groups.
            Assert.True(experts.Select(e => e / 4).Distinct().Count() <= Tiny.TopKGroups);

            var (rawExperts, raw) = R.RouteScores(Tiny with { NormTopKProb = false }, s, bias);
            Assert.Equal(experts, rawExperts);
            for (int n = 0; n < raw.Length; n++)
                Assert.Equal(s[rawExperts[n]] * 2.5, raw[n], 1e-14);
        }
    }

    [Fact]
    public void Route_from_hidden_applies_the_sigmoid_of_the_gate_logits()
    {
        var w = ReferenceWeights.Random(Tiny, seed: 10);
        var x = Enumerable.Range(0, 64).Select(i => Math.Sin(i * 0.37)).ToArray();
        var gate = w.Get("model.layers.1.mlp.gate.weight", 16, 64);
        var bias = w.Get("model.layers.1.mlp.gate.expert_bias", 16);
        var s = R.MatVec(gate, 16, 64, x).Select(z => 1 / (1 + Math.Exp(-z))).ToArray();
        var (expected, expectedW) = R.RouteScores(Tiny, s, bias);
        var (actual, actualW) = R.Route(Tiny, w, 1, x);
        Assert.Equal(expected, actual);
        AssertClose(expectedW, actualW, 1e-15);
    }

    // ---------------------------------------------------------------- SwiGLU, MoE, dense MLP

    [Fact]
    public void SwiGlu_matches_hand_computation()
    {
        // gate = I, up = diag(2, 1), down = [[1, 1], [0, 1]], x = [1, -1].
        double silu1 = 1 / (1 + Math.Exp(-1)), siluM1 = -1 / (1 + Math.Exp(1));
        double a0 = silu1 * 2, a1 = siluM1 * -1;
        var y = R.SwiGlu([1, 0, 0, 1], [2, 0, 0, 1], [1, 1, 0, 1], 2, [1, -1]);
        Assert.Equal(a0 + a1, y[0], 1e-15);
        Assert.Equal(a1, y[1], 1e-15);
    }

    [Fact]
    public void Moe_is_the_weighted_sum_of_the_chosen_experts_plus_the_shared_expert()
    {
        var w = ReferenceWeights.Random(Tiny, seed: 11);
        var x = Enumerable.Range(0, 64).Select(i => Math.Cos(i * 0.21)).ToArray();
        var (experts, weights) = R.Route(Tiny, w, 1, x);
        var routed = new double[64];
        for (int n = 0; n < experts.Length; n++)
        {
            var y = R.SwiGlu(w, $"model.layers.1.mlp.experts.{experts[n]}", 24, x);
            for (int i = 0; i < 64; i++)
                routed[i] += weights[n] * y[i];
        }
        var shared = R.SwiGlu(w, "model.layers.1.mlp.shared_experts", 24, x);
        Assert.True(shared.Max(v => Math.Abs(v)) > 1e-3);
        var moe = R.Moe(Tiny, w, 1, x);
        for (int i = 0; i < 64; i++)
            Assert.Equal(routed[i] + shared[i], moe[i], 1e-12);

        // Without shared experts there is no shared term (and no shared weights are needed).
        var noShared = Tiny with { NumSharedExperts = 0 };
        var w0 = ReferenceWeights.Random(noShared, seed: 11);
        Assert.False(w0.Contains("model.layers.1.mlp.shared_experts.gate_proj.weight"));
        AssertClose(routed, R.Moe(noShared, w0, 1, x), 1e-12);

        // Two shared experts: one SwiGLU of width 2 × moe_intermediate_size.
        var two = Tiny with { NumSharedExperts = 2 };
        var w2 = ReferenceWeights.Random(two, seed: 11);
        Assert.Equal([48, 64], w2["model.layers.1.mlp.shared_experts.gate_proj.weight"].Shape);
        Assert.Equal(64, R.Moe(two, w2, 1, x).Length);
    }

    [Fact]
    public void Layers_below_first_k_dense_replace_use_the_dense_mlp()
    {
        var w = ReferenceWeights.Random(Tiny, seed: 12);
        var x = Enumerable.Range(0, 64).Select(i => Math.Sin(i * 0.5)).ToArray();
        Assert.False(w.Contains("model.layers.0.mlp.gate.weight"));
        Assert.Equal([96, 64], w["model.layers.0.mlp.gate_proj.weight"].Shape);
        Assert.Equal(R.SwiGlu(w, "model.layers.0.mlp", 96, x), R.Mlp(Tiny, w, 0, x));
        Assert.Equal(R.Moe(Tiny, w, 1, x), R.Mlp(Tiny, w, 1, x));
    }

    // ---------------------------------------------------------------- whole model

    [Fact]
    public void Forward_is_pre_norm_residual_with_final_norm_and_lm_head_and_no_shift()
    {
        var w = ReferenceWeights.Random(Tiny, seed: 13);
        int[] tokens = Tokens[..5];
        var x = tokens.Select(id => R.Row(w.Get("model.word_embeddings.weight", 64, 64), 64, id)).ToArray();
        for (int l = 0; l < 2; l++)
        {
            var ln1 = w.Get($"model.layers.{l}.input_layernorm.weight", 64);
            var ln2 = w.Get($"model.layers.{l}.post_attention_layernorm.weight", 64);
            var a = R.Attention(Tiny, w, l, x.Select(r => R.RmsNorm(r, ln1, 1e-6)).ToArray(), 2);
            var h = x.Select((r, t) => r.Zip(a[t], (p, q) => p + q).ToArray()).ToArray();
            x = h.Select(r => r.Zip(R.Mlp(Tiny, w, l, R.RmsNorm(r, ln2, 1e-6)), (p, q) => p + q).ToArray()).ToArray();
        }
        var logits = R.Forward(Tiny, w, tokens, 2);
        var head = w.Get("lm_head.weight", 64, 64);
        for (int t = 0; t < tokens.Length; t++)
        {
            var expected = R.MatVec(head, 64, 64, R.RmsNorm(x[t], w.Get("model.norm.weight", 64), 1e-6));
            for (int j = 0; j < 64; j++)
                Assert.Equal(expected[j], logits[t, j], 1e-12);
        }
    }

    [Fact]
    public void Forward_of_random_weights_has_order_one_logits()
    {
        var w = ReferenceWeights.Random(Tiny, seed: 14);
        var logits = R.Forward(Tiny, w, Tokens, 4);
        var all = logits.Cast<double>().ToArray();
        Assert.All(all, v => Assert.True(double.IsFinite(v)));
        double std = Math.Sqrt(all.Select(v => v * v).Average() - Math.Pow(all.Average(), 2));
        Assert.InRange(std, 0.2, 20);
    }

    [Fact]
    public void Tied_embeddings_use_the_embedding_matrix_as_lm_head()
    {
        var tied = Tiny with { TieWordEmbeddings = true };
        var w = ReferenceWeights.Random(tied, seed: 15);
        Assert.False(w.Contains("lm_head.weight"));
        var untied = w.Clone();
        untied.Set("lm_head.weight", (double[])w["model.word_embeddings.weight"].Data.Clone(), 64, 64);
        Assert.Equal(0, MaxAbsDiff(R.Forward(Tiny, untied, Tokens, 4), R.Forward(tied, w, Tokens, 4), 0, Tokens.Length));
    }

    [Fact]
    public void Random_weights_are_deterministic_complete_and_float32_exact()
    {
        var a = ReferenceWeights.Random(Tiny, seed: 16);
        var b = ReferenceWeights.Random(Tiny, seed: 16);
        // embeddings + 6 attention/norm tensors per layer + dense MLP (3) + gate, bias, 16 experts × 3, shared (3) + norm + lm_head
        Assert.Equal(1 + 6 * 2 + 3 + 2 + 16 * 3 + 3 + 2, a.Tensors.Count);
        foreach (var (name, (data, shape)) in a.Tensors)
        {
            Assert.Equal(shape, b[name].Shape);
            Assert.Equal(data, b[name].Data);
            Assert.All(data, v => Assert.Equal((double)(float)v, v));
        }
        Assert.Equal([(4 + 2 * 2) * 16, 64], a["model.layers.1.attention.query_key_value.weight"].Shape);
        Assert.Equal([64, 4 * 16], a["model.layers.1.attention.dense.weight"].Shape);
        Assert.Equal([16], a["model.layers.0.attention.key_layernorm.weight"].Shape);
        Assert.Equal([16, 64], a["model.layers.1.mlp.gate.weight"].Shape);
        Assert.Equal([16], a["model.layers.1.mlp.gate.expert_bias"].Shape);
        Assert.Equal([64, 24], a["model.layers.1.mlp.experts.15.down_proj.weight"].Shape);
        Assert.NotEqual(a["lm_head.weight"].Data, ReferenceWeights.Random(Tiny, seed: 17)["lm_head.weight"].Data);
    }

    // ---------------------------------------------------------------- safetensors

    [Fact]
    public void Safetensors_round_trip_single_file_f32_and_sharded_bf16_and_f16()
    {
        var w = ReferenceWeights.Random(Tiny, seed: 18);
        string dir = TestPaths.NewTempDirectory("ref-st");
        try
        {
            w.SaveSafetensors(Path.Combine(dir, "f32"));
            AssertSameWeights(w, ReferenceWeights.LoadSafetensors(Path.Combine(dir, "f32")));

            w.SaveSafetensors(Path.Combine(dir, "bf16"), "BF16", shardCount: 3);
            Assert.False(File.Exists(Path.Combine(dir, "bf16", "model.safetensors")));
            Assert.True(File.Exists(Path.Combine(dir, "bf16", "model-00003-of-00003.safetensors")));
            var bf16 = ReferenceWeights.LoadSafetensors(Path.Combine(dir, "bf16"));
            AssertSameWeights(w.RoundedTo("BF16"), bf16);
            Assert.NotEqual(w["lm_head.weight"].Data, bf16["lm_head.weight"].Data);

            w.SaveSafetensors(Path.Combine(dir, "f16"), "F16");
            AssertSameWeights(w.RoundedTo("F16"), ReferenceWeights.LoadSafetensors(Path.Combine(dir, "f16")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Safetensors_reader_decodes_hand_written_bf16_f16_and_f32_bytes()
    {
        string header = """{"__metadata__":{"format":"pt"},"b":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]},"h":{"dtype":"F16","shape":[1,2],"data_offsets":[4,8]},"f":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""";
        var bytes = new List<byte>();
        bytes.AddRange(BitConverter.GetBytes((ulong)header.Length));
        bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(header));
        bytes.AddRange([0x80, 0x3F, 0x40, 0xC0]);     // bf16 0x3F80 = 1.0, 0xC040 = -3.0
        bytes.AddRange([0x00, 0x3C, 0x00, 0xB8]);     // f16 0x3C00 = 1.0, 0xB800 = -0.5
        bytes.AddRange(BitConverter.GetBytes(0.1f));
        string dir = TestPaths.NewTempDirectory("ref-st-bytes");
        try
        {
            File.WriteAllBytes(Path.Combine(dir, "model.safetensors"), bytes.ToArray());
            var w = ReferenceWeights.LoadSafetensors(dir);
            Assert.Equal(3, w.Tensors.Count);
            Assert.Equal([1.0, -3.0], w["b"].Data);
            Assert.Equal([2], w["b"].Shape);
            Assert.Equal([1.0, -0.5], w["h"].Data);
            Assert.Equal([1, 2], w["h"].Shape);
            Assert.Equal((double)0.1f, w["f"].Data[0]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void BFloat16_rounding_is_to_nearest_even()
    {
        Assert.Equal(1.0, ReferenceWeights.RoundTo(1.0 + 1.0 / 256, "BF16"));           // halfway, 1.0 is even
        Assert.Equal(1.0 + 2.0 / 128, ReferenceWeights.RoundTo(1.0 + 3.0 / 256, "BF16")); // halfway, rounds up to even
        Assert.Equal(1.0 + 1.0 / 128, ReferenceWeights.RoundTo(1.0 + 1.0 / 256 + 1e-6, "BF16"));
    }

    // ---------------------------------------------------------------- helpers

    private static int[] With(int[] tokens, int index, int value)
    {
        var copy = (int[])tokens.Clone();
        Assert.NotEqual(value, copy[index]);
        copy[index] = value;
        return copy;
    }

    private static double RowDiff(double[,] a, double[,] b, int row) => MaxAbsDiff(a, b, row, row + 1);

    private static double MaxAbsDiff(double[,] a, double[,] b, int rowStart, int rowEnd)
    {
        double max = 0;
        for (int t = rowStart; t < rowEnd; t++)
            for (int j = 0; j < a.GetLength(1); j++)
                max = Math.Max(max, Math.Abs(a[t, j] - b[t, j]));
        return max;
    }

    private static double Dot(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum();

    private static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], actual[i], tolerance);
    }

    private static void AssertSameWeights(ReferenceWeights expected, ReferenceWeights actual)
    {
        Assert.Equal(expected.Tensors.Keys.Order(), actual.Tensors.Keys.Order());
        foreach (var (name, (data, shape)) in expected.Tensors)
        {
            Assert.Equal(shape, actual[name].Shape);
            Assert.Equal(data, actual[name].Data);
        }
    }

    private static (double[][][] Q, double[][][] K, double[][][] V) RandomHeads(int tokens, int nq, int nkv, int hd, int seed)
    {
        var rng = new Random(seed);
        double[][][] Make(int heads) => Enumerable.Range(0, tokens)
            .Select(_ => Enumerable.Range(0, heads).Select(_ => Enumerable.Range(0, hd).Select(_ => rng.NextDouble() * 2 - 1).ToArray()).ToArray())
            .ToArray();
        return (Make(nq), Make(nkv), Make(nkv));
    }

    /// <summary>One head, one query, written out: softmax over keys j with ⌊j/B⌋ ≤ ⌊t/B⌋ of q·k/√hd, times v.</summary>
    private static double[] SingleHead(double[][][] q, double[][][] k, double[][][] v, int t, int head, int kvHead, int blockSize)
    {
        int hd = q[t][head].Length;
        var keys = Enumerable.Range(0, q.Length).Where(j => j / blockSize <= t / blockSize).ToArray();
        var e = keys.Select(j => Math.Exp(Dot(q[t][head], k[j][kvHead]) / Math.Sqrt(hd))).ToArray();
        double sum = e.Sum();
        var o = new double[hd];
        for (int n = 0; n < keys.Length; n++)
            for (int d = 0; d < hd; d++)
                o[d] += e[n] / sum * v[keys[n]][kvHead][d];
        return o;
    }
}
