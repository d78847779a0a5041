using Dllm.Model;
using Dllm.Tokenization;

namespace Dllm.Training;

/// <summary>
/// Shapes of the demo model: LLaDA2 MoE with every engine path (GQA, qk-norm, partial RoPE, layer 0 dense, the other
/// layers MoE with group-limited routing and a shared expert); vocabulary and special ids from the trained tokenizer.
/// </summary>
public static class DemoModelShapes
{
    /// <summary>The demo model: H 256, 4 layers (1 dense + 3 MoE of 16 experts, top-4 in 2 of 4 groups, 1 shared), 8 query
    /// heads and 4 KV heads of 32 dims; about 7 M parameters with a ~1.5k vocabulary.</summary>
    public static LLaDA2Config Demo(LladaTokenizer tokenizer) => WithTokenizer(new LLaDA2Config
    {
        VocabSize = 0, HiddenSize = 256, NumHiddenLayers = 4,
        NumAttentionHeads = 8, NumKeyValueHeads = 4, HeadDim = 32,
        IntermediateSize = 768, MoeIntermediateSize = 128,
        NumExperts = 16, NumExpertsPerToken = 4, NumSharedExperts = 1,
        NumExpertGroups = 4, TopKGroups = 2, RoutedScalingFactor = 2.5,
        FirstKDenseReplace = 1, RopeTheta = 10000, PartialRotaryFactor = 0.5,
        MaxPositionEmbeddings = 2048, TorchDtype = "float32",
    }, tokenizer);

    /// <summary>The demo shape with 6 layers (1 dense + 5 MoE, about 10 M parameters): the next lever for counting to an N
    /// it never saw, which needs the model to match the number it writes against the prompt's.</summary>
    public static LLaDA2Config Demo6(LladaTokenizer tokenizer) => Demo(tokenizer) with { NumHiddenLayers = 6 };

    /// <summary>A tiny shape of the same structure for CPU tests (H 32, 2 layers, 8 experts).</summary>
    public static LLaDA2Config Tiny(LladaTokenizer tokenizer) => WithTokenizer(new LLaDA2Config
    {
        VocabSize = 0, HiddenSize = 32, NumHiddenLayers = 2,
        NumAttentionHeads = 4, NumKeyValueHeads = 2, HeadDim = 8,
        IntermediateSize = 64, MoeIntermediateSize = 16,
        NumExperts = 8, NumExpertsPerToken = 2, NumSharedExperts = 1,
        NumExpertGroups = 4, TopKGroups = 2, RoutedScalingFactor = 2.5,
        FirstKDenseReplace = 1, RopeTheta = 10000, PartialRotaryFactor = 0.5,
        MaxPositionEmbeddings = 1024, TorchDtype = "float32",
    }, tokenizer);

    /// <summary>Looks a shape up by name (<c>demo</c>, <c>demo-6</c>, <c>tiny</c>).</summary>
    public static LLaDA2Config ByName(string name, LladaTokenizer tokenizer) => name switch
    {
        "demo" => Demo(tokenizer),
        "demo-6" => Demo6(tokenizer),
        "tiny" => Tiny(tokenizer),
        _ => throw new ArgumentException($"shape '{name}' is not one of: demo, demo-6, tiny.", nameof(name)),
    };

    private static LLaDA2Config WithTokenizer(LLaDA2Config shape, LladaTokenizer tokenizer) =>
        shape.WithTokenizer(tokenizer.VocabularySize, tokenizer.MaskTokenId, tokenizer.EosTokenId);
}
