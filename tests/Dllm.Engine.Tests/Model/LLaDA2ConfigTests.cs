using System.Text.Json.Nodes;
using Dllm.Model;

namespace Dllm.Tests.Model;

public class LLaDA2ConfigTests
{
    /// <summary>The config.json of LLaDA2.0-mini as published (spec section 1), with the fields the engine ignores.</summary>
    private const string MiniConfigJson = """
        {
          "architectures": ["LLaDA2MoeModelLM"],
          "attention_dropout": 0.0,
          "auto_map": {
            "AutoConfig": "configuration_llada2_moe.LLaDA2MoeConfig",
            "AutoModel": "modeling_llada2_moe.LLaDA2MoeModel",
            "AutoModelForCausalLM": "modeling_llada2_moe.LLaDA2MoeModelLM"
          },
          "embedding_dropout": 0.0,
          "first_k_dense_replace": 1,
          "head_dim": 128,
          "hidden_act": "silu",
          "hidden_size": 2048,
          "initializer_range": 0.02,
          "intermediate_size": 5120,
          "max_position_embeddings": 32768,
          "max_window_layers": 20,
          "model_type": "llada2_moe",
          "moe_intermediate_size": 512,
          "moe_router_enable_expert_bias": true,
          "moe_shared_expert_intermediate_size": 512,
          "n_group": 8,
          "norm_head": false,
          "norm_softmax": false,
          "norm_topk_prob": true,
          "num_attention_heads": 16,
          "num_experts": 256,
          "num_experts_per_tok": 8,
          "num_hidden_layers": 20,
          "num_key_value_heads": 4,
          "num_nextn_predict_layers": 0,
          "num_shared_experts": 1,
          "output_dropout": 0.0,
          "output_router_logits": false,
          "pad_token_id": 156892,
          "partial_rotary_factor": 0.5,
          "rms_norm_eps": 1e-06,
          "rope_scaling": null,
          "rope_theta": 600000,
          "rotary_dim": 64,
          "routed_scaling_factor": 2.5,
          "router_dtype": "fp32",
          "score_function": "sigmoid",
          "tie_word_embeddings": false,
          "topk_group": 4,
          "torch_dtype": "bfloat16",
          "transformers_version": "4.52.3",
          "use_bias": false,
          "use_cache": true,
          "use_qk_norm": true,
          "use_qkv_bias": false,
          "use_rmsnorm": true,
          "using_split_qkv_in_self_attention": false,
          "vocab_size": 157184
        }
        """;

    private static readonly string[] RequiredFields =
    [
        "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
        "intermediate_size", "moe_intermediate_size", "num_experts", "num_experts_per_tok",
    ];

    public static TheoryData<string> Required => new(RequiredFields);

    [Fact]
    public void Published_mini_config_parses_to_the_mini_shape()
    {
        var config = LLaDA2Config.Parse(MiniConfigJson);

        Assert.Equal(LLaDA2Shapes.Mini(), config);
        Assert.Equal(64, config.RotaryDim);
        Assert.False(config.IsMoeLayer(0));
        Assert.True(config.IsMoeLayer(1));
        Assert.Equal("bfloat16", config.TorchDtype);
    }

    [Fact]
    public void Absent_optional_fields_take_the_spec_defaults()
    {
        var json = Mini();
        json["hidden_size"] = 1024;
        foreach (string field in new[] { "use_qk_norm", "head_dim", "mask_token_id", "eos_token_id" })
            json.Remove(field);

        var config = LLaDA2Config.Parse(json.ToJsonString());

        Assert.True(config.UseQkNorm);
        Assert.Equal(1024 / 16, config.HeadDim);
        Assert.Equal(156895, config.MaskTokenId);
        Assert.Equal(156892, config.EosTokenId);
    }

    [Fact]
    public void Present_fields_win_over_defaults_and_an_eos_list_gives_its_first_id()
    {
        var json = Mini();
        json["use_qk_norm"] = false;
        json["head_dim"] = 64;
        json["mask_token_id"] = 156000;
        json["eos_token_id"] = new JsonArray(156900, 156892);

        var config = LLaDA2Config.Parse(json.ToJsonString());

        Assert.False(config.UseQkNorm);
        Assert.Equal(64, config.HeadDim);
        Assert.Equal(156000, config.MaskTokenId);
        Assert.Equal(156900, config.EosTokenId);
    }

    [Theory]
    [MemberData(nameof(Required))]
    public void Each_missing_required_field_is_named(string field)
    {
        var json = Mini();
        json.Remove(field);

        var error = Assert.Throws<ModelConfigException>(() => LLaDA2Config.Parse(json.ToJsonString(), "/models/mini/config.json"));

        Assert.Equal($"/models/mini/config.json: required field '{field}' is missing.", error.Message);
    }

    [Theory]
    [InlineData("hidden_size", "\"2048\"", "field 'hidden_size' must be an integer, got \"2048\"")]
    [InlineData("hidden_size", "2048.5", "field 'hidden_size' must be an integer, got 2048.5")]
    [InlineData("num_experts", "0", "field 'num_experts' must be an integer >= 1, got 0")]
    [InlineData("num_key_value_heads", "null", null)]
    [InlineData("vocab_size", "1e20", "field 'vocab_size' must be an integer")]
    [InlineData("rope_theta", "\"big\"", "field 'rope_theta' must be a number, got \"big\"")]
    [InlineData("rope_theta", "1e400", "field 'rope_theta' must be a finite number")]
    [InlineData("use_qk_norm", "\"yes\"", "field 'use_qk_norm' must be true or false")]
    [InlineData("tie_word_embeddings", "1", "field 'tie_word_embeddings' must be true or false")]
    [InlineData("torch_dtype", "16", "field 'torch_dtype' must be a string")]
    [InlineData("torch_dtype", "\"int8\"", "field 'torch_dtype' ('int8') must be bfloat16, float16 or float32")]
    [InlineData("eos_token_id", "\"eos\"", "field 'eos_token_id' must be an integer")]
    [InlineData("eos_token_id", "[null]", "field 'eos_token_id' must be an integer")]
    [InlineData("architectures", "[42]", null)]
    [InlineData("rms_norm_eps", "0", "field 'rms_norm_eps' must be positive")]
    [InlineData("rope_scaling", "{\"type\":\"yarn\"}", "field 'rope_scaling' must be null")]
    [InlineData("use_qkv_bias", "true", "field 'use_qkv_bias' is true; biases are not supported")]
    [InlineData("score_function", "\"softmax\"", "field 'score_function' is 'softmax'; only 'sigmoid'")]
    [InlineData("n_group", "7", "field 'n_group' (7) must divide num_experts (256)")]
    [InlineData("num_key_value_heads", "5", "field 'num_key_value_heads' (5) must divide num_attention_heads (16)")]
    [InlineData("mask_token_id", "157184", "field 'mask_token_id' (157184) must be below vocab_size (157184)")]
    public void Wrong_types_and_values_are_named(string field, string valueJson, string? expected)
    {
        var json = Mini();
        json[field] = JsonNode.Parse(valueJson);

        if (expected is null)
        {
            // Accepted: null means absent; a non-string architecture only matters for the message.
            LLaDA2Config.Parse(json.ToJsonString());
            return;
        }
        var error = Assert.Throws<ModelConfigException>(() => LLaDA2Config.Parse(json.ToJsonString(), "cfg.json"));
        Assert.StartsWith("cfg.json: ", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("\"llama\"", "model_type 'llama' (architecture LLaDA2MoeModelLM) is not supported; this engine runs 'llada2_moe'")]
    [InlineData("null", "model_type '(missing)'")]
    [InlineData("7", "field 'model_type' must be a string")]
    public void Wrong_model_type_is_rejected_clearly(string valueJson, string expected)
    {
        var json = Mini();
        json["model_type"] = JsonNode.Parse(valueJson);

        var error = Assert.Throws<ModelConfigException>(() => LLaDA2Config.Parse(json.ToJsonString()));

        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("{\"model_type\":\"llada2_moe\",\"model_type\":\"llada2_moe\"}", "not valid JSON: Duplicate property")]
    [InlineData("[1, 2]", "must be a JSON object")]
    [InlineData("null", "must be a JSON object")]
    [InlineData("{\"hidden_size\":", "not valid JSON")]
    public void Text_that_is_not_a_config_object_is_rejected(string text, string expected)
    {
        Assert.Contains(expected, Assert.Throws<ModelConfigException>(() => LLaDA2Config.Parse(text)).Message);
    }

    [Fact]
    public void ToJson_then_Parse_gives_the_same_config()
    {
        var custom = LLaDA2Shapes.Tiny(vocabSize: 1000) with
        {
            TieWordEmbeddings = true, UseQkNorm = false, NumSharedExperts = 2, RmsNormEps = 1e-5,
            RopeTheta = 10000, MaxPositionEmbeddings = 4096, PadTokenId = 0, NormTopKProb = false,
        };
        foreach (var config in new[] { LLaDA2Shapes.Mini(), LLaDA2Shapes.Flash(), LLaDA2Shapes.Tiny(), custom })
            Assert.Equal(config, LLaDA2Config.Parse(config.ToJson()));
    }

    [Fact]
    public void Load_names_a_missing_file()
    {
        string path = Path.Combine(Path.GetTempPath(), $"absent-{Guid.NewGuid():N}", "config.json");

        var error = Assert.Throws<ModelConfigException>(() => LLaDA2Config.Load(path));

        Assert.StartsWith($"{path}: cannot read the model config", error.Message);
    }

    private static JsonObject Mini() => JsonNode.Parse(MiniConfigJson)!.AsObject();

    [Fact]
    public void An_absent_optional_field_reads_as_the_property_default_every_one_stated_once()
    {
        const string minimal = """
            {"model_type": "llada2_moe", "vocab_size": 200000, "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
             "intermediate_size": 128, "moe_intermediate_size": 32, "num_experts": 4, "num_experts_per_tok": 2}
            """;
        var parsed = LLaDA2Config.Parse(minimal);
        var constructed = new LLaDA2Config
        {
            VocabSize = 200000, HiddenSize = 64, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 4, HeadDim = 16,
            IntermediateSize = 128, MoeIntermediateSize = 32, NumExperts = 4, NumExpertsPerToken = 2,
        };

        Assert.Equal(constructed, parsed);
        Assert.Equal(1.0, parsed.PartialRotaryFactor);
        Assert.Equal(0, parsed.NumSharedExperts);
    }
}
