using Dllm.Checkpoints;
using Dllm.Model;

namespace Dllm.Tests.Checkpoints;

public class LLaDA2CheckpointLayoutTests
{
    [Fact]
    public void Tiny_layout_has_every_tensor_with_its_shape()
    {
        var layout = new LLaDA2CheckpointLayout(LLaDA2Shapes.Tiny(layers: 3));

        // 3 global + 6 attention/norm per layer × 3 + dense MLP 3 + per MoE layer (gate, bias, 16×3 experts, 3 shared) × 2.
        Assert.Equal(3 + 18 + 3 + 2 * 53, layout.Tensors.Count);
        Assert.Equal(layout.Tensors.Count, layout.Names.Count);
        Assert.Equal([157184L, 64], layout.ShapeOf("model.word_embeddings.weight"));
        Assert.Equal([(4 + 2 * 2) * 16L, 64], layout.ShapeOf("model.layers.0.attention.query_key_value.weight"));
        Assert.Equal([16L], layout.ShapeOf("model.layers.2.attention.key_layernorm.weight"));
        Assert.Equal([64L, 4 * 16], layout.ShapeOf("model.layers.1.attention.dense.weight"));
        Assert.Equal([96L, 64], layout.ShapeOf("model.layers.0.mlp.gate_proj.weight"));
        Assert.Equal([64L, 96], layout.ShapeOf("model.layers.0.mlp.down_proj.weight"));
        Assert.Equal([16L, 64], layout.ShapeOf("model.layers.1.mlp.gate.weight"));
        Assert.Equal([16L], layout.ShapeOf("model.layers.1.mlp.gate.expert_bias"));
        Assert.Equal([24L, 64], layout.ShapeOf("model.layers.2.mlp.experts.15.up_proj.weight"));
        Assert.Equal([64L, 24], layout.ShapeOf("model.layers.2.mlp.shared_experts.down_proj.weight"));
        Assert.Equal([64L], layout.ShapeOf("model.norm.weight"));
        Assert.Equal([157184L, 64], layout.ShapeOf("lm_head.weight"));
        Assert.DoesNotContain("model.layers.0.mlp.gate.weight", layout.Names);
        Assert.DoesNotContain("model.layers.1.mlp.up_proj.weight", layout.Names);
        Assert.Equal("model.word_embeddings.weight", layout.Tensors[0].Name);
        Assert.Equal("lm_head.weight", layout.Tensors[^1].Name);
    }

    [Fact]
    public void Full_mini_layout_has_16_3_billion_parameters()
    {
        var layout = new LLaDA2CheckpointLayout(LLaDA2Shapes.Mini());

        const long H = 2048, V = 157184, Hd = 128;
        long embeddings = 2 * V * H;
        long attentionLayer = (16 + 2 * 4) * Hd * H + H * 16 * Hd + 2 * H + 2 * Hd;
        long denseMlp = 3 * 5120 * H;
        long moeLayer = 256 * H + 256 + 256 * 3 * 512 * H + 3 * 512 * H;
        long expected = embeddings + 20 * attentionLayer + denseMlp + 19 * moeLayer + H;

        Assert.Equal(16_255_643_392L, expected);
        Assert.Equal(expected, layout.ParameterCount);
        Assert.Equal(3 + 20 * 6 + 3 + 19 * (2 + 256 * 3 + 3), layout.Tensors.Count);
        Assert.Equal([(16 + 8) * 128L, 2048], layout.ShapeOf("model.layers.19.attention.query_key_value.weight"));
        Assert.Equal([2048L, 512], layout.ShapeOf("model.layers.7.mlp.experts.255.down_proj.weight"));
        Assert.Equal([5120L, 2048], layout.ShapeOf("model.layers.0.mlp.up_proj.weight"));
    }

    [Fact]
    public void Options_that_remove_tensors_are_honoured()
    {
        var config = LLaDA2Shapes.Tiny(vocabSize: 512, layers: 2) with
        {
            TieWordEmbeddings = true, UseQkNorm = false, NumSharedExperts = 2, FirstKDenseReplace = 0,
        };

        var layout = new LLaDA2CheckpointLayout(config);

        Assert.DoesNotContain("lm_head.weight", layout.Names);
        Assert.DoesNotContain(layout.Names, n => n.Contains("attention.query_layernorm", StringComparison.Ordinal) || n.Contains("attention.key_layernorm", StringComparison.Ordinal));
        Assert.Contains("model.layers.1.post_attention_layernorm.weight", layout.Names);
        Assert.Equal([48L, 64], layout.ShapeOf("model.layers.0.mlp.shared_experts.gate_proj.weight"));
        Assert.Contains("model.layers.0.mlp.gate.expert_bias", layout.Names);
        Assert.Throws<KeyNotFoundException>(() => layout.ShapeOf("model.layers.0.mlp.up_proj.weight"));
    }

    [Fact]
    public void Names_helper_matches_the_spec_spelling()
    {
        Assert.Equal("model.layers.3.attention.query_layernorm.weight", LLaDA2TensorNames.QueryLayerNorm(3));
        Assert.Equal("model.layers.3.mlp.experts.7.gate_proj.weight", LLaDA2TensorNames.Expert(3, 7, LLaDA2TensorNames.GateProj));
        Assert.Equal("model.layers.3.mlp.shared_experts.down_proj.weight", LLaDA2TensorNames.SharedExpert(3, LLaDA2TensorNames.DownProj));
        Assert.Equal("model.layers.0.post_attention_layernorm.weight", LLaDA2TensorNames.PostAttentionLayerNorm(0));
    }
}
