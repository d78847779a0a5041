namespace Dllm.Model;

/// <summary>The Hugging Face tensor names of a <c>llada2_moe</c> checkpoint.</summary>
public static class LLaDA2TensorNames
{
    /// <summary>The token embedding [V, H].</summary>
    public const string WordEmbeddings = "model.word_embeddings.weight";

    /// <summary>The final RMSNorm weight [H].</summary>
    public const string FinalNorm = "model.norm.weight";

    /// <summary>The output projection [V, H] (absent when the embeddings are tied).</summary>
    public const string LmHead = "lm_head.weight";

    /// <summary>The SwiGLU gate projection's module name ([F, H]).</summary>
    public const string GateProj = "gate_proj";

    /// <summary>The SwiGLU up projection's module name ([F, H]).</summary>
    public const string UpProj = "up_proj";

    /// <summary>The SwiGLU down projection's module name ([H, F]).</summary>
    public const string DownProj = "down_proj";

    /// <summary>The three SwiGLU projections, in the order gate, up, down.</summary>
    public static IReadOnlyList<string> Projections { get; } = [GateProj, UpProj, DownProj];

    /// <summary>The RMSNorm before attention [H].</summary>
    public static string InputLayerNorm(int layer) => $"{Layer(layer)}.input_layernorm.weight";

    /// <summary>The RMSNorm before the MLP [H].</summary>
    public static string PostAttentionLayerNorm(int layer) => $"{Layer(layer)}.post_attention_layernorm.weight";

    /// <summary>The fused QKV projection [(nq + 2·nkv)·hd, H]: all Q heads, then all K heads, then all V heads.</summary>
    public static string QueryKeyValue(int layer) => $"{Layer(layer)}.attention.query_key_value.weight";

    /// <summary>The per-head RMSNorm of Q [hd].</summary>
    public static string QueryLayerNorm(int layer) => $"{Layer(layer)}.attention.query_layernorm.weight";

    /// <summary>The per-head RMSNorm of K [hd].</summary>
    public static string KeyLayerNorm(int layer) => $"{Layer(layer)}.attention.key_layernorm.weight";

    /// <summary>The attention output projection [H, nq·hd].</summary>
    public static string AttentionDense(int layer) => $"{Layer(layer)}.attention.dense.weight";

    /// <summary>A projection of a dense layer's MLP (<paramref name="projection"/> is one of <see cref="Projections"/>).</summary>
    public static string DenseMlp(int layer, string projection) => $"{Layer(layer)}.mlp.{projection}.weight";

    /// <summary>The router weight of a MoE layer [E, H].</summary>
    public static string RouterGate(int layer) => $"{Layer(layer)}.mlp.gate.weight";

    /// <summary>The router's selection bias of a MoE layer [E].</summary>
    public static string ExpertBias(int layer) => $"{Layer(layer)}.mlp.gate.expert_bias";

    /// <summary>A projection of routed expert <paramref name="expert"/>.</summary>
    public static string Expert(int layer, int expert, string projection) => $"{Layer(layer)}.mlp.experts.{expert}.{projection}.weight";

    /// <summary>A projection of the shared expert (width moe_intermediate_size × num_shared_experts).</summary>
    public static string SharedExpert(int layer, string projection) => $"{Layer(layer)}.mlp.shared_experts.{projection}.weight";

    private static string Layer(int layer) => $"model.layers.{layer}";
}
