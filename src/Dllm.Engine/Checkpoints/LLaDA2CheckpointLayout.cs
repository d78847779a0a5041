using Dllm.Model;

namespace Dllm.Checkpoints;

/// <summary>
/// Every tensor an HF <c>llada2_moe</c> checkpoint of a given config holds, with its shape, in model order:
/// embeddings, then per layer the norms and attention, then the dense MLP (layers &lt; first_k_dense_replace) or
/// the MoE (router, expert bias, routed experts, shared expert), then the final norm and lm_head (omitted when
/// the embeddings are tied). qk-norm weights exist only with use_qk_norm, the shared expert only with
/// num_shared_experts &gt; 0. SwiGLU gate/up are [F, H], down is [H, F].
/// </summary>
public sealed class LLaDA2CheckpointLayout
{
    private readonly Dictionary<string, CheckpointTensorSpec> _byName;

    /// <summary>Builds the layout of <paramref name="config"/>.</summary>
    public LLaDA2CheckpointLayout(LLaDA2Config config)
    {
        Config = config;
        var tensors = new List<CheckpointTensorSpec>();
        void Add(string name, params long[] shape) => tensors.Add(new CheckpointTensorSpec(name, shape));

        long h = config.HiddenSize, hd = config.HeadDim;
        Add(LLaDA2TensorNames.WordEmbeddings, config.VocabSize, h);
        for (int layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            Add(LLaDA2TensorNames.InputLayerNorm(layer), h);
            Add(LLaDA2TensorNames.PostAttentionLayerNorm(layer), h);
            Add(LLaDA2TensorNames.QueryKeyValue(layer), (config.NumAttentionHeads + 2L * config.NumKeyValueHeads) * hd, h);
            if (config.UseQkNorm)
            {
                Add(LLaDA2TensorNames.QueryLayerNorm(layer), hd);
                Add(LLaDA2TensorNames.KeyLayerNorm(layer), hd);
            }
            Add(LLaDA2TensorNames.AttentionDense(layer), h, config.NumAttentionHeads * hd);
            if (config.IsMoeLayer(layer))
                AddMoe(config, layer, Add);
            else
                AddSwiGlu(p => LLaDA2TensorNames.DenseMlp(layer, p), config.IntermediateSize, h, Add);
        }
        Add(LLaDA2TensorNames.FinalNorm, h);
        if (!config.TieWordEmbeddings)
            Add(LLaDA2TensorNames.LmHead, config.VocabSize, h);

        Tensors = tensors;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        ParameterCount = tensors.Sum(t => t.ElementCount);
    }

    /// <summary>The config the layout was built for.</summary>
    public LLaDA2Config Config { get; }

    /// <summary>Every tensor, in model order.</summary>
    public IReadOnlyList<CheckpointTensorSpec> Tensors { get; }

    /// <summary>Every tensor name.</summary>
    public IReadOnlyCollection<string> Names => _byName.Keys;

    /// <summary>The total number of parameters (elements of all tensors).</summary>
    public long ParameterCount { get; }

    /// <summary>The shape of a tensor of the layout.</summary>
    /// <exception cref="KeyNotFoundException">The name is not part of the layout.</exception>
    public long[] ShapeOf(string name) =>
        _byName.TryGetValue(name, out var spec) ? spec.Shape : throw new KeyNotFoundException($"tensor '{name}' is not part of the LLaDA2 layout.");

    private static void AddMoe(LLaDA2Config config, int layer, Action<string, long[]> add)
    {
        long h = config.HiddenSize;
        add(LLaDA2TensorNames.RouterGate(layer), [config.NumExperts, h]);
        add(LLaDA2TensorNames.ExpertBias(layer), [config.NumExperts]);
        for (int expert = 0; expert < config.NumExperts; expert++)
            AddSwiGlu(p => LLaDA2TensorNames.Expert(layer, expert, p), config.MoeIntermediateSize, h, add);
        if (config.NumSharedExperts > 0)
            AddSwiGlu(p => LLaDA2TensorNames.SharedExpert(layer, p), (long)config.MoeIntermediateSize * config.NumSharedExperts, h, add);
    }

    private static void AddSwiGlu(Func<string, string> name, long width, long hidden, Action<string, long[]> add)
    {
        add(name(LLaDA2TensorNames.GateProj), [width, hidden]);
        add(name(LLaDA2TensorNames.UpProj), [width, hidden]);
        add(name(LLaDA2TensorNames.DownProj), [hidden, width]);
    }
}
