using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dllm.Model;

/// <summary>
/// The <c>config.json</c> of a <c>llada2_moe</c> checkpoint (LLaDA2.0 mini and flash), every field the engine
/// uses. Read with <see cref="Load"/> / <see cref="Parse"/>: present fields win, absent optional fields take
/// the documented defaults, a missing required field or an invalid value is a <see cref="ModelConfigException"/>
/// naming the field and the file.
/// </summary>
public sealed record LLaDA2Config
{
    /// <summary>The only <c>model_type</c> this engine runs.</summary>
    public const string ModelType = "llada2_moe";

    /// <summary>Vocabulary (embedding rows and lm_head outputs).</summary>
    public required int VocabSize { get; init; }
    /// <summary>Model width H.</summary>
    public required int HiddenSize { get; init; }
    /// <summary>Transformer layers.</summary>
    public required int NumHiddenLayers { get; init; }
    /// <summary>Query heads.</summary>
    public required int NumAttentionHeads { get; init; }
    /// <summary>Key/value heads (GQA).</summary>
    public required int NumKeyValueHeads { get; init; }
    /// <summary>Per-head width (default hidden/heads).</summary>
    public required int HeadDim { get; init; }
    /// <summary>Dense MLP width (layers &lt; <see cref="FirstKDenseReplace"/>).</summary>
    public required int IntermediateSize { get; init; }
    /// <summary>Routed and shared expert width.</summary>
    public required int MoeIntermediateSize { get; init; }
    /// <summary>Routed experts per MoE layer.</summary>
    public required int NumExperts { get; init; }
    /// <summary>Experts chosen per token.</summary>
    public required int NumExpertsPerToken { get; init; }
    /// <summary>Shared experts (their width is <c>MoeIntermediateSize × NumSharedExperts</c>).</summary>
    public int NumSharedExperts { get; init; } = Absent.NumSharedExperts;
    /// <summary>Expert groups for group-limited routing.</summary>
    public int NumExpertGroups { get; init; } = Absent.NumExpertGroups;
    /// <summary>Groups kept per token.</summary>
    public int TopKGroups { get; init; } = Absent.TopKGroups;
    /// <summary>Multiplier of the normalised routing weights.</summary>
    public double RoutedScalingFactor { get; init; } = Absent.RoutedScalingFactor;
    /// <summary>Whether the top-k weights are renormalised to sum 1.</summary>
    public bool NormTopKProb { get; init; } = Absent.NormTopKProb;
    /// <summary>Layers below this index use the dense MLP.</summary>
    public int FirstKDenseReplace { get; init; } = Absent.FirstKDenseReplace;
    /// <summary>RoPE base θ.</summary>
    public double RopeTheta { get; init; } = Absent.RopeTheta;
    /// <summary>Fraction of each head's dims that RoPE rotates.</summary>
    public double PartialRotaryFactor { get; init; } = Absent.PartialRotaryFactor;
    /// <summary>RMSNorm epsilon.</summary>
    public double RmsNormEps { get; init; } = Absent.RmsNormEps;
    /// <summary>Per-head RMSNorm of Q and K before RoPE.</summary>
    public bool UseQkNorm { get; init; } = Absent.UseQkNorm;
    /// <summary>Longest sequence (prompt + generation).</summary>
    public int MaxPositionEmbeddings { get; init; } = Absent.MaxPositionEmbeddings;
    /// <summary>Whether lm_head shares the embedding matrix.</summary>
    public bool TieWordEmbeddings { get; init; } = Absent.TieWordEmbeddings;
    /// <summary>The mask token the diffusion decoder fills blocks with.</summary>
    public int MaskTokenId { get; init; } = Absent.MaskTokenId;
    /// <summary>End of text.</summary>
    public int EosTokenId { get; init; } = Absent.EosTokenId;
    /// <summary>Padding id.</summary>
    public int PadTokenId { get; init; } = Absent.PadTokenId;
    /// <summary>The checkpoint's stored dtype (<c>bfloat16</c>, <c>float16</c>, <c>float32</c>).</summary>
    public string TorchDtype { get; init; } = Absent.TorchDtype;

    /// <summary>
    /// The value of each optional field that config.json leaves out, stated once: the properties start at it and
    /// <see cref="Parse"/> reads an absent field as it (a config.json without <c>partial_rotary_factor</c> rotates the
    /// whole head; without <c>num_shared_experts</c> there is no shared expert).
    /// </summary>
    private static class Absent
    {
        public const int NumSharedExperts = 0;
        public const int NumExpertGroups = 1;
        public const int TopKGroups = 1;
        public const double RoutedScalingFactor = 1.0;
        public const bool NormTopKProb = true;
        public const int FirstKDenseReplace = 0;
        public const double RopeTheta = 600000;
        public const double PartialRotaryFactor = 1.0;
        public const double RmsNormEps = 1e-6;
        public const bool UseQkNorm = true;
        public const int MaxPositionEmbeddings = 32768;
        public const bool TieWordEmbeddings = false;
        public const int MaskTokenId = 156895;
        public const int EosTokenId = 156892;
        public const int PadTokenId = 156892;
        public const string TorchDtype = "bfloat16";
    }

    /// <summary>Width of one RoPE-rotated slice of a head: <c>HeadDim × PartialRotaryFactor</c>.</summary>
    public int RotaryDim => (int)(HeadDim * PartialRotaryFactor);

    /// <summary>True for layer indices that use MoE.</summary>
    public bool IsMoeLayer(int layer) => layer >= FirstKDenseReplace;

    /// <summary>Reads and validates <c>config.json</c>.</summary>
    public static LLaDA2Config Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelConfigException($"{path}: cannot read the model config: {e.Message}", e);
        }
        return Parse(text, path);
    }

    /// <summary>Parses and validates config.json text; <paramref name="source"/> names it in errors.</summary>
    public static LLaDA2Config Parse(string json, string source = "config.json")
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }) as JsonObject ?? throw new ModelConfigException($"{source}: the model config must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw new ModelConfigException($"{source}: not valid JSON: {e.Message}", e);
        }
        var reader = new ConfigFieldReader(root, source);
        string? modelType = reader.OptionalString("model_type");
        string? architecture = root["architectures"] is JsonArray { Count: > 0 } architectures
            && architectures[0] is JsonValue first && first.TryGetValue(out string? name) ? name : null;
        if (modelType != ModelType)
        {
            throw new ModelConfigException(
                $"{source}: model_type '{modelType ?? "(missing)"}' (architecture {architecture ?? "unknown"}) is not supported; this engine runs '{ModelType}' (LLaDA2MoeModelLM, LLaDA2.0 mini/flash).");
        }

        int hidden = reader.RequiredInt("hidden_size", min: 1);
        int heads = reader.RequiredInt("num_attention_heads", min: 1);
        var config = new LLaDA2Config
        {
            VocabSize = reader.RequiredInt("vocab_size", min: 1),
            HiddenSize = hidden,
            NumHiddenLayers = reader.RequiredInt("num_hidden_layers", min: 1),
            NumAttentionHeads = heads,
            NumKeyValueHeads = reader.OptionalInt("num_key_value_heads", heads, min: 1),
            HeadDim = reader.OptionalInt("head_dim", hidden / heads, min: 2),
            IntermediateSize = reader.RequiredInt("intermediate_size", min: 1),
            MoeIntermediateSize = reader.RequiredInt("moe_intermediate_size", min: 1),
            NumExperts = reader.RequiredInt("num_experts", min: 1),
            NumExpertsPerToken = reader.RequiredInt("num_experts_per_tok", min: 1),
            NumSharedExperts = reader.OptionalInt("num_shared_experts", Absent.NumSharedExperts, min: 0),
            NumExpertGroups = reader.OptionalInt("n_group", Absent.NumExpertGroups, min: 1),
            TopKGroups = reader.OptionalInt("topk_group", Absent.TopKGroups, min: 1),
            RoutedScalingFactor = reader.OptionalDouble("routed_scaling_factor", Absent.RoutedScalingFactor),
            NormTopKProb = reader.OptionalBool("norm_topk_prob", Absent.NormTopKProb),
            FirstKDenseReplace = reader.OptionalInt("first_k_dense_replace", Absent.FirstKDenseReplace, min: 0),
            RopeTheta = reader.OptionalDouble("rope_theta", Absent.RopeTheta),
            PartialRotaryFactor = reader.OptionalDouble("partial_rotary_factor", Absent.PartialRotaryFactor),
            RmsNormEps = reader.OptionalDouble("rms_norm_eps", Absent.RmsNormEps),
            UseQkNorm = reader.OptionalBool("use_qk_norm", Absent.UseQkNorm),
            MaxPositionEmbeddings = reader.OptionalInt("max_position_embeddings", Absent.MaxPositionEmbeddings, min: 1),
            TieWordEmbeddings = reader.OptionalBool("tie_word_embeddings", Absent.TieWordEmbeddings),
            MaskTokenId = reader.OptionalInt("mask_token_id", Absent.MaskTokenId, min: 0),
            EosTokenId = reader.OptionalIntOrFirstOfList("eos_token_id", Absent.EosTokenId),
            PadTokenId = reader.OptionalInt("pad_token_id", Absent.PadTokenId, min: 0),
            TorchDtype = reader.OptionalString("torch_dtype") ?? reader.OptionalString("dtype") ?? Absent.TorchDtype,
        };
        reader.RejectTrue("use_qkv_bias", "biases are not supported (LLaDA2 has none)");
        reader.RejectTrue("use_bias", "biases are not supported (LLaDA2 has none)");
        if (root["rope_scaling"] is JsonNode scaling && scaling.GetValueKind() != JsonValueKind.Null)
            throw new ModelConfigException($"{source}: field 'rope_scaling' must be null; RoPE scaling is not supported.");
        string? scoreFunction = reader.OptionalString("score_function");
        if (scoreFunction is not null && scoreFunction != "sigmoid")
            throw new ModelConfigException($"{source}: field 'score_function' is '{scoreFunction}'; only 'sigmoid' routing is supported.");
        config.Validate(source);
        return config;
    }

    /// <summary>
    /// This shape with a tokenizer's vocabulary size and special ids (mask, EOS; padding is EOS, as in LLaDA2), validated:
    /// how a checkpoint written for a tokenizer of its own gets its config.json.
    /// </summary>
    public LLaDA2Config WithTokenizer(int vocabularySize, int maskTokenId, int eosTokenId)
    {
        var config = this with { VocabSize = vocabularySize, MaskTokenId = maskTokenId, EosTokenId = eosTokenId, PadTokenId = eosTokenId };
        config.Validate();
        return config;
    }

    /// <summary>Checks the relations between fields; throws naming the field.</summary>
    public void Validate(string source = "config.json")
    {
        void Fail(string field, string why) => throw new ModelConfigException($"{source}: field '{field}' {why}.");
        if (NumAttentionHeads % NumKeyValueHeads != 0)
            Fail("num_key_value_heads", $"({NumKeyValueHeads}) must divide num_attention_heads ({NumAttentionHeads})");
        if (RotaryDim % 2 != 0 || RotaryDim <= 0 || RotaryDim > HeadDim)
            Fail("partial_rotary_factor", $"({PartialRotaryFactor}) must give an even rotary width between 2 and head_dim ({HeadDim})");
        if (NumExpertsPerToken > NumExperts)
            Fail("num_experts_per_tok", $"({NumExpertsPerToken}) must not exceed num_experts ({NumExperts})");
        if (NumExperts % NumExpertGroups != 0)
            Fail("n_group", $"({NumExpertGroups}) must divide num_experts ({NumExperts})");
        if (TopKGroups > NumExpertGroups)
            Fail("topk_group", $"({TopKGroups}) must not exceed n_group ({NumExpertGroups})");
        if (NumExpertsPerToken > TopKGroups * (NumExperts / NumExpertGroups))
            Fail("num_experts_per_tok", $"({NumExpertsPerToken}) must fit in the topk_group × experts-per-group experts kept ({TopKGroups * (NumExperts / NumExpertGroups)})");
        if (NumExpertGroups > 1 && NumExperts / NumExpertGroups < 2)
            Fail("n_group", "must leave at least 2 experts per group (group score = sum of the top 2)");
        if (FirstKDenseReplace > NumHiddenLayers)
            Fail("first_k_dense_replace", $"({FirstKDenseReplace}) must not exceed num_hidden_layers ({NumHiddenLayers})");
        if (MaskTokenId >= VocabSize)
            Fail("mask_token_id", $"({MaskTokenId}) must be below vocab_size ({VocabSize})");
        if (EosTokenId >= VocabSize)
            Fail("eos_token_id", $"({EosTokenId}) must be below vocab_size ({VocabSize})");
        if (RmsNormEps <= 0)
            Fail("rms_norm_eps", "must be positive");
        if (RopeTheta <= 1)
            Fail("rope_theta", "must be greater than 1");
        if (TorchDtype is not ("bfloat16" or "float16" or "float32"))
            Fail("torch_dtype", $"('{TorchDtype}') must be bfloat16, float16 or float32");
    }

    /// <summary>Writes this config as an HF <c>config.json</c> (the fields above plus the fixed LLaDA2 ones).</summary>
    public string ToJson()
    {
        var root = new JsonObject
        {
            ["architectures"] = new JsonArray("LLaDA2MoeModelLM"),
            ["model_type"] = ModelType,
            ["vocab_size"] = VocabSize,
            ["hidden_size"] = HiddenSize,
            ["num_hidden_layers"] = NumHiddenLayers,
            ["num_attention_heads"] = NumAttentionHeads,
            ["num_key_value_heads"] = NumKeyValueHeads,
            ["head_dim"] = HeadDim,
            ["intermediate_size"] = IntermediateSize,
            ["moe_intermediate_size"] = MoeIntermediateSize,
            ["num_experts"] = NumExperts,
            ["num_experts_per_tok"] = NumExpertsPerToken,
            ["num_shared_experts"] = NumSharedExperts,
            ["n_group"] = NumExpertGroups,
            ["topk_group"] = TopKGroups,
            ["routed_scaling_factor"] = RoutedScalingFactor,
            ["score_function"] = "sigmoid",
            ["moe_router_enable_expert_bias"] = true,
            ["norm_topk_prob"] = NormTopKProb,
            ["router_dtype"] = "fp32",
            ["first_k_dense_replace"] = FirstKDenseReplace,
            ["rope_theta"] = RopeTheta,
            ["partial_rotary_factor"] = PartialRotaryFactor,
            ["rope_scaling"] = null,
            ["rms_norm_eps"] = RmsNormEps,
            ["use_qk_norm"] = UseQkNorm,
            ["use_qkv_bias"] = false,
            ["use_bias"] = false,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["mask_token_id"] = MaskTokenId,
            ["eos_token_id"] = EosTokenId,
            ["pad_token_id"] = PadTokenId,
            ["torch_dtype"] = TorchDtype,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
