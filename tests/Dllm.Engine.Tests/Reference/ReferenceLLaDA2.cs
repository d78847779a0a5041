using Dllm.Model;

namespace Dllm.Tests.Reference;

/// <summary>
/// An independent, deliberately slow reference of the LLaDA2.0 (<c>llada2_moe</c>) forward pass: plain loops
/// in float64, no TorchSharp, written from docs/llada2-spec.md sections 1–3. Tests compare the engine against
/// it. Notation: H hidden size, nq / nkv query / key-value heads, hd head dim, r = rotary dim
/// (<c>HeadDim × PartialRotaryFactor</c>), B block size, T sequence length, V vocab, E experts, K experts per
/// token, G expert groups, Gk groups kept. A linear layer with weight W [out, in] (row-major, no bias) is
/// <c>y = W·x</c>, <c>y_o = Σ_i W[o, i] x_i</c>.
/// <list type="number">
/// <item>Embedding: <c>x_t = word_embeddings[token_t]</c>; positions are the absolute indices <c>t = 0..T-1</c>.</item>
/// <item>Each layer l (pre-norm residual): <c>h = x + Attention(RmsNorm(x; input_layernorm))</c>, then
///   <c>x' = h + Mlp_l(RmsNorm(h; post_attention_layernorm))</c>.</item>
/// <item>RmsNorm: <c>y_i = x_i / √(mean_j(x_j²) + eps) · w_i</c>, eps = <c>RmsNormEps</c>.</item>
/// <item>Attention: <c>qkv = query_key_value·x</c> [(nq + 2·nkv)·hd], rows: all Q heads, then all K heads,
///   then all V heads, each head hd consecutive values. With <c>UseQkNorm</c>, every Q head is
///   RmsNorm'd with <c>query_layernorm</c> [hd] and every K head with <c>key_layernorm</c> (same eps) —
///   before RoPE. Then RoPE on Q and K at the token's position p (partial NeoX, rotate-half):
///   <c>θ_j = p · base^(−2j/r)</c>, j = 0..r/2−1; <c>y_j = x_j cos θ_j − x_(j+r/2) sin θ_j</c>,
///   <c>y_(j+r/2) = x_(j+r/2) cos θ_j + x_j sin θ_j</c>; dims ≥ r unchanged. GQA: query head h uses KV head
///   <c>h / (nq/nkv)</c> (integer division, as HF repeat_kv). Block-causal mask: query i attends key j iff
///   <c>⌊j/B⌋ ≤ ⌊i/B⌋</c> (bidirectional inside a block, causal across blocks). Per head:
///   <c>a_ij = q_i·k_j / √hd</c> over allowed j, <c>p = softmax_j(a)</c>, <c>o_i = Σ_j p_ij v_j</c>; heads
///   concatenated in head order [nq·hd], then <c>dense</c> [H, nq·hd].</item>
/// <item>Dense MLP (layers &lt; <c>FirstKDenseReplace</c>) and every expert: SwiGLU
///   <c>down·(silu(gate·x) ⊙ (up·x))</c>, <c>silu(z) = z·σ(z)</c>, <c>σ(z) = 1/(1+e^(−z))</c>.</item>
/// <item>MoE (layers ≥ <c>FirstKDenseReplace</c>), per token: router scores <c>s = σ(gate.weight·x)</c> [E];
///   selection scores <c>c = s + expert_bias</c>; experts split into G consecutive groups of E/G; group
///   score = sum of the 2 largest c in the group; keep the Gk groups with the largest group score; choose
///   the K experts with the largest c among the kept groups; weights <c>w_k = s_k / (Σ s_chosen + 1e−20)</c>
///   (when <c>NormTopKProb</c>, else <c>w_k = s_k</c>), times <c>RoutedScalingFactor</c>; the bias only
///   chooses, weights use the unbiased s. Ties go to the lower index. Output
///   <c>Σ_k w_k · expert_k(x) + shared_experts(x)</c> (the shared expert, width
///   <c>MoeIntermediateSize × NumSharedExperts</c>, only when <c>NumSharedExperts</c> &gt; 0).</item>
/// <item>Final: <c>RmsNorm(x; model.norm)</c>, logits = <c>lm_head·x</c> [V] (lm_head = word_embeddings
///   when <c>TieWordEmbeddings</c>). No shift: row i is the prediction for position i.</item>
/// </list>
/// </summary>
public static class ReferenceLLaDA2
{
    /// <summary>Logits [T, V] of the whole sequence under the block-causal mask of <paramref name="blockSize"/>.</summary>
    public static double[,] Forward(LLaDA2Config config, ReferenceWeights weights, int[] tokenIds, int blockSize)
    {
        var hidden = HiddenStates(config, weights, tokenIds, blockSize);
        return Logits(config, weights, hidden[^1]);
    }

    /// <summary>
    /// Rows [<paramref name="start"/>, <paramref name="end"/>) of <see cref="Forward"/>: what an engine that
    /// caches the K/V of tokens before <paramref name="start"/> and runs only those queries must produce.
    /// </summary>
    public static double[,] ForwardRange(LLaDA2Config config, ReferenceWeights weights, int[] tokenIds, int blockSize, int start, int end)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(end, tokenIds.Length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start, end);
        var full = Forward(config, weights, tokenIds, blockSize);
        int v = full.GetLength(1);
        var rows = new double[end - start, v];
        for (int t = start; t < end; t++)
            for (int j = 0; j < v; j++)
                rows[t - start, j] = full[t, j];
        return rows;
    }

    /// <summary>
    /// The residual stream: element 0 is the embeddings, element l+1 the output of layer l ([T][H] each);
    /// the last one is before the final norm.
    /// </summary>
    public static double[][][] HiddenStates(LLaDA2Config config, ReferenceWeights weights, int[] tokenIds, int blockSize)
    {
        config.Validate("reference config");
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        if (tokenIds.Length == 0)
            throw new ArgumentException("at least one token is needed.", nameof(tokenIds));
        int h = config.HiddenSize;
        var embeddings = weights.Get("model.word_embeddings.weight", config.VocabSize, h);
        var x = new double[tokenIds.Length][];
        for (int t = 0; t < tokenIds.Length; t++)
        {
            int id = tokenIds[t];
            if (id < 0 || id >= config.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(tokenIds), $"token {id} at {t} is outside the vocabulary [0, {config.VocabSize}).");
            x[t] = Row(embeddings, h, id);
        }
        var states = new double[config.NumHiddenLayers + 1][][];
        states[0] = x;
        for (int l = 0; l < config.NumHiddenLayers; l++)
            states[l + 1] = DecoderLayer(config, weights, l, states[l], blockSize);
        return states;
    }

    /// <summary>Final norm and lm_head on a [T][H] residual stream: logits [T, V].</summary>
    public static double[,] Logits(LLaDA2Config config, ReferenceWeights weights, double[][] hidden)
    {
        int h = config.HiddenSize, v = config.VocabSize;
        var norm = weights.Get("model.norm.weight", h);
        var head = config.TieWordEmbeddings
            ? weights.Get("model.word_embeddings.weight", v, h)
            : weights.Get("lm_head.weight", v, h);
        var logits = new double[hidden.Length, v];
        for (int t = 0; t < hidden.Length; t++)
        {
            var y = MatVec(head, v, h, RmsNorm(hidden[t], norm, config.RmsNormEps));
            for (int j = 0; j < v; j++)
                logits[t, j] = y[j];
        }
        return logits;
    }

    /// <summary>One decoder layer: <c>h = x + attn(rms(x))</c>, <c>out = h + mlp(rms(h))</c>.</summary>
    public static double[][] DecoderLayer(LLaDA2Config config, ReferenceWeights weights, int layer, double[][] x, int blockSize)
    {
        int h = config.HiddenSize;
        string p = $"model.layers.{layer}";
        var inputNorm = weights.Get($"{p}.input_layernorm.weight", h);
        var postNorm = weights.Get($"{p}.post_attention_layernorm.weight", h);
        var normed = x.Select(row => RmsNorm(row, inputNorm, config.RmsNormEps)).ToArray();
        var attention = Attention(config, weights, layer, normed, blockSize);
        var result = new double[x.Length][];
        for (int t = 0; t < x.Length; t++)
        {
            var mid = Add(x[t], attention[t]);
            var mlp = Mlp(config, weights, layer, RmsNorm(mid, postNorm, config.RmsNormEps));
            result[t] = Add(mid, mlp);
        }
        return result;
    }

    // ------------------------------------------------------------------------------------------------
    // Norm and RoPE
    // ------------------------------------------------------------------------------------------------

    /// <summary><c>y_i = x_i / √(mean(x²) + eps) · w_i</c>.</summary>
    public static double[] RmsNorm(double[] x, double[] weight, double eps)
    {
        if (weight.Length != x.Length)
            throw new ArgumentException($"norm weight has {weight.Length} values for a vector of {x.Length}.", nameof(weight));
        double sumSquares = 0;
        foreach (double v in x)
            sumSquares += v * v;
        double scale = 1.0 / Math.Sqrt(sumSquares / x.Length + eps);
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
            y[i] = x[i] * scale * weight[i];
        return y;
    }

    /// <summary>
    /// Partial NeoX RoPE of one head vector at <paramref name="position"/>: for j &lt; r/2, angle
    /// <c>p·θ^(−2j/r)</c> rotates the pair (j, j + r/2); dims ≥ r are copied unchanged. Returns a new array.
    /// </summary>
    public static double[] ApplyRope(double[] x, int position, int rotaryDim, double theta)
    {
        if (rotaryDim % 2 != 0 || rotaryDim <= 0 || rotaryDim > x.Length)
            throw new ArgumentOutOfRangeException(nameof(rotaryDim), $"rotary dim {rotaryDim} must be even and within the head ({x.Length}).");
        int half = rotaryDim / 2;
        var y = (double[])x.Clone();
        for (int j = 0; j < half; j++)
        {
            double inverseFrequency = Math.Pow(theta, -2.0 * j / rotaryDim);
            double angle = position * inverseFrequency;
            double cos = Math.Cos(angle), sin = Math.Sin(angle);
            y[j] = x[j] * cos - x[j + half] * sin;
            y[j + half] = x[j + half] * cos + x[j] * sin;
        }
        return y;
    }

    // ------------------------------------------------------------------------------------------------
    // Attention
    // ------------------------------------------------------------------------------------------------

    /// <summary>Whether query position <paramref name="i"/> may attend key position <paramref name="j"/>: <c>⌊j/B⌋ ≤ ⌊i/B⌋</c>.</summary>
    public static bool BlockCausalAllows(int i, int j, int blockSize) => j / blockSize <= i / blockSize;

    /// <summary>
    /// The attention module of <paramref name="layer"/> on already-normed inputs <paramref name="x"/> [T][H]
    /// at positions 0..T−1: fused QKV, qk-norm, RoPE, GQA block-causal attention, <c>dense</c>. Returns [T][H].
    /// </summary>
    public static double[][] Attention(LLaDA2Config config, ReferenceWeights weights, int layer, double[][] x, int blockSize)
    {
        int h = config.HiddenSize, hd = config.HeadDim, nq = config.NumAttentionHeads, nkv = config.NumKeyValueHeads;
        string p = $"model.layers.{layer}.attention";
        var qkvWeight = weights.Get($"{p}.query_key_value.weight", (nq + 2 * nkv) * hd, h);
        var denseWeight = weights.Get($"{p}.dense.weight", h, nq * hd);
        var queryNorm = weights.Get($"{p}.query_layernorm.weight", hd);
        var keyNorm = weights.Get($"{p}.key_layernorm.weight", hd);
        int tokens = x.Length;
        var q = new double[tokens][][];
        var k = new double[tokens][][];
        var v = new double[tokens][][];
        for (int t = 0; t < tokens; t++)
        {
            var qkv = MatVec(qkvWeight, (nq + 2 * nkv) * hd, h, x[t]);
            q[t] = new double[nq][];
            k[t] = new double[nkv][];
            v[t] = new double[nkv][];
            for (int head = 0; head < nq; head++)
                q[t][head] = qkv[(head * hd)..((head + 1) * hd)];
            for (int g = 0; g < nkv; g++)
            {
                k[t][g] = qkv[((nq + g) * hd)..((nq + g + 1) * hd)];
                v[t][g] = qkv[((nq + nkv + g) * hd)..((nq + nkv + g + 1) * hd)];
            }
            for (int head = 0; head < nq; head++)
            {
                if (config.UseQkNorm)
                    q[t][head] = RmsNorm(q[t][head], queryNorm, config.RmsNormEps);
                q[t][head] = ApplyRope(q[t][head], t, config.RotaryDim, config.RopeTheta);
            }
            for (int g = 0; g < nkv; g++)
            {
                if (config.UseQkNorm)
                    k[t][g] = RmsNorm(k[t][g], keyNorm, config.RmsNormEps);
                k[t][g] = ApplyRope(k[t][g], t, config.RotaryDim, config.RopeTheta);
            }
        }
        var heads = AttendHeads(q, k, v, blockSize);
        var output = new double[tokens][];
        for (int t = 0; t < tokens; t++)
        {
            var concatenated = new double[nq * hd];
            for (int head = 0; head < nq; head++)
                Array.Copy(heads[t][head], 0, concatenated, head * hd, hd);
            output[t] = MatVec(denseWeight, h, nq * hd, concatenated);
        }
        return output;
    }

    /// <summary>
    /// Scaled dot-product attention over already-rotated heads with the block-causal mask. q [T][nq][hd],
    /// k and v [T][nkv][hd]; query head h uses KV head <c>h / (nq/nkv)</c>; scale 1/√hd. Returns [T][nq][hd].
    /// </summary>
    public static double[][][] AttendHeads(double[][][] q, double[][][] k, double[][][] v, int blockSize)
    {
        int tokens = q.Length, nq = q[0].Length, nkv = k[0].Length, hd = q[0][0].Length;
        if (nq % nkv != 0)
            throw new ArgumentException($"{nkv} KV heads do not divide {nq} query heads.", nameof(k));
        int group = nq / nkv;
        double scale = 1.0 / Math.Sqrt(hd);
        var output = new double[tokens][][];
        for (int i = 0; i < tokens; i++)
        {
            output[i] = new double[nq][];
            for (int head = 0; head < nq; head++)
            {
                int g = head / group;
                var allowed = Enumerable.Range(0, tokens).Where(j => BlockCausalAllows(i, j, blockSize)).ToArray();
                var scores = allowed.Select(j => Dot(q[i][head], k[j][g]) * scale).ToArray();
                var probabilities = Softmax(scores);
                var o = new double[hd];
                for (int n = 0; n < allowed.Length; n++)
                    for (int d = 0; d < hd; d++)
                        o[d] += probabilities[n] * v[allowed[n]][g][d];
                output[i][head] = o;
            }
        }
        return output;
    }

    /// <summary>Numerically stable softmax.</summary>
    public static double[] Softmax(double[] x)
    {
        double max = x.Max();
        var e = x.Select(a => Math.Exp(a - max)).ToArray();
        double sum = e.Sum();
        return e.Select(a => a / sum).ToArray();
    }

    // ------------------------------------------------------------------------------------------------
    // MLP, routing, MoE
    // ------------------------------------------------------------------------------------------------

    /// <summary>The MLP of <paramref name="layer"/> on one normed token: dense SwiGLU or MoE.</summary>
    public static double[] Mlp(LLaDA2Config config, ReferenceWeights weights, int layer, double[] x) =>
        config.IsMoeLayer(layer)
            ? Moe(config, weights, layer, x)
            : SwiGlu(weights, $"model.layers.{layer}.mlp", config.IntermediateSize, x);

    /// <summary><c>down·(silu(gate·x) ⊙ (up·x))</c> with gate, up [I, H] and down [H, I], row-major.</summary>
    public static double[] SwiGlu(double[] gateWeight, double[] upWeight, double[] downWeight, int intermediate, double[] x)
    {
        int h = x.Length;
        var gate = MatVec(gateWeight, intermediate, h, x);
        var up = MatVec(upWeight, intermediate, h, x);
        var activated = new double[intermediate];
        for (int i = 0; i < intermediate; i++)
            activated[i] = Silu(gate[i]) * up[i];
        return MatVec(downWeight, h, intermediate, activated);
    }

    /// <summary>SwiGLU with <c>{prefix}.gate_proj/up_proj/down_proj.weight</c> (shapes checked).</summary>
    public static double[] SwiGlu(ReferenceWeights weights, string prefix, int intermediate, double[] x)
    {
        int h = x.Length;
        return SwiGlu(
            weights.Get($"{prefix}.gate_proj.weight", intermediate, h),
            weights.Get($"{prefix}.up_proj.weight", intermediate, h),
            weights.Get($"{prefix}.down_proj.weight", h, intermediate),
            intermediate, x);
    }

    /// <summary>
    /// The MoE block of <paramref name="layer"/> on one normed token:
    /// <c>Σ_k w_k·expert_k(x) + shared_experts(x)</c> with the experts and weights of <see cref="Route(LLaDA2Config, ReferenceWeights, int, double[])"/>.
    /// </summary>
    public static double[] Moe(LLaDA2Config config, ReferenceWeights weights, int layer, double[] x)
    {
        string p = $"model.layers.{layer}.mlp";
        var (experts, routeWeights) = Route(config, weights, layer, x);
        var output = new double[x.Length];
        for (int n = 0; n < experts.Length; n++)
        {
            var y = SwiGlu(weights, $"{p}.experts.{experts[n]}", config.MoeIntermediateSize, x);
            for (int i = 0; i < output.Length; i++)
                output[i] += routeWeights[n] * y[i];
        }
        if (config.NumSharedExperts > 0)
            output = Add(output, SwiGlu(weights, $"{p}.shared_experts", config.MoeIntermediateSize * config.NumSharedExperts, x));
        return output;
    }

    /// <summary>Routing of one normed token with the router of <paramref name="layer"/>.</summary>
    public static (int[] Experts, double[] Weights) Route(LLaDA2Config config, ReferenceWeights weights, int layer, double[] x)
    {
        string p = $"model.layers.{layer}.mlp.gate";
        return Route(config,
            weights.Get($"{p}.weight", config.NumExperts, config.HiddenSize),
            weights.Get($"{p}.expert_bias", config.NumExperts),
            x);
    }

    /// <summary>Routing of one token: <c>s = σ(W_gate·x)</c>, then <see cref="RouteScores"/>.</summary>
    public static (int[] Experts, double[] Weights) Route(LLaDA2Config config, double[] gateWeight, double[] expertBias, double[] x)
    {
        var logits = MatVec(gateWeight, config.NumExperts, x.Length, x);
        return RouteScores(config, logits.Select(Sigmoid).ToArray(), expertBias);
    }

    /// <summary>
    /// Group-limited top-k on router scores <paramref name="scores"/> = σ(logits) [E]: selection
    /// <c>c = s + bias</c>; group score = sum of the top 2 c of each of the G groups of E/G consecutive experts;
    /// keep the best <c>TopKGroups</c> groups; the K best c among them are chosen (returned best first, ties to
    /// the lower index); weights = unbiased s of the chosen / (their sum + 1e−20) when NormTopKProb, times
    /// RoutedScalingFactor.
    /// </summary>
    public static (int[] Experts, double[] Weights) RouteScores(LLaDA2Config config, double[] scores, double[] expertBias)
    {
        int experts = config.NumExperts, groups = config.NumExpertGroups, perGroup = experts / groups;
        if (scores.Length != experts || expertBias.Length != experts)
            throw new ArgumentException($"routing needs {experts} scores and biases, got {scores.Length} and {expertBias.Length}.");
        var selection = new double[experts];
        for (int e = 0; e < experts; e++)
            selection[e] = scores[e] + expertBias[e];

        var groupScores = new double[groups];
        for (int g = 0; g < groups; g++)
        {
            var members = Enumerable.Range(g * perGroup, perGroup).Select(e => selection[e]).OrderDescending();
            groupScores[g] = members.Take(2).Sum();
        }
        var keptGroups = TopIndices(groupScores, config.TopKGroups).ToHashSet();

        var candidates = Enumerable.Range(0, experts).Where(e => keptGroups.Contains(e / perGroup)).ToArray();
        var chosen = candidates
            .OrderByDescending(e => selection[e]).ThenBy(e => e)
            .Take(config.NumExpertsPerToken)
            .ToArray();

        var weights = chosen.Select(e => scores[e]).ToArray();
        if (config.NormTopKProb)
        {
            double sum = weights.Sum();
            for (int n = 0; n < weights.Length; n++)
                weights[n] /= sum + 1e-20;
        }
        for (int n = 0; n < weights.Length; n++)
            weights[n] *= config.RoutedScalingFactor;
        return (chosen, weights);
    }

    /// <summary>Indices of the <paramref name="k"/> largest values, largest first, ties to the lower index.</summary>
    public static int[] TopIndices(double[] values, int k) =>
        Enumerable.Range(0, values.Length).OrderByDescending(i => values[i]).ThenBy(i => i).Take(k).ToArray();

    /// <summary><c>1 / (1 + e^(−z))</c>.</summary>
    public static double Sigmoid(double z) => 1.0 / (1.0 + Math.Exp(-z));

    /// <summary><c>z·σ(z)</c>.</summary>
    public static double Silu(double z) => z * Sigmoid(z);

    // ------------------------------------------------------------------------------------------------
    // Small linear algebra
    // ------------------------------------------------------------------------------------------------

    /// <summary><c>y = W·x</c> for row-major W [rows, cols].</summary>
    public static double[] MatVec(double[] w, int rows, int cols, double[] x)
    {
        if (w.Length != rows * cols || x.Length != cols)
            throw new ArgumentException($"matrix of {w.Length} values is not [{rows}, {cols}] or vector of {x.Length} does not match.");
        var y = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            for (int c = 0; c < cols; c++)
                sum += w[r * cols + c] * x[c];
            y[r] = sum;
        }
        return y;
    }

    /// <summary>Row <paramref name="row"/> of a row-major matrix with <paramref name="cols"/> columns.</summary>
    public static double[] Row(double[] matrix, int cols, int row) => matrix[(row * cols)..((row + 1) * cols)];

    private static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
            sum += a[i] * b[i];
        return sum;
    }

    private static double[] Add(double[] a, double[] b)
    {
        var y = new double[a.Length];
        for (int i = 0; i < a.Length; i++)
            y[i] = a[i] + b[i];
        return y;
    }
}
