namespace Dllm.Model;

/// <summary>Named model shapes: the real LLaDA2.0 mini and flash, and small ones for tests.</summary>
public static class LLaDA2Shapes
{
    /// <summary>The vocabulary of the real models (embedding rows, padded).</summary>
    public const int RealVocabSize = 157184;

    /// <summary>LLaDA2.0-mini (16B total, 1.4B active), optionally with fewer layers.</summary>
    public static LLaDA2Config Mini(int layers = 20) => new()
    {
        VocabSize = RealVocabSize, HiddenSize = 2048, NumHiddenLayers = layers,
        NumAttentionHeads = 16, NumKeyValueHeads = 4, HeadDim = 128,
        IntermediateSize = 5120, MoeIntermediateSize = 512,
        NumExperts = 256, NumExpertsPerToken = 8, NumSharedExperts = 1,
        NumExpertGroups = 8, TopKGroups = 4, RoutedScalingFactor = 2.5,
        FirstKDenseReplace = 1, RopeTheta = 600000, PartialRotaryFactor = 0.5,
    };

    /// <summary>LLaDA2.0-flash (103B total, 6B active), optionally with fewer layers.</summary>
    public static LLaDA2Config Flash(int layers = 32) => Mini(layers) with
    {
        HiddenSize = 4096, NumAttentionHeads = 32, IntermediateSize = 9216, MoeIntermediateSize = 1024,
    };

    /// <summary>
    /// A tiny model with every feature of the real one (GQA, qk-norm, partial RoPE, a dense layer, grouped
    /// MoE routing with a shared expert) that runs in milliseconds on a CPU.
    /// </summary>
    public static LLaDA2Config Tiny(int vocabSize = RealVocabSize, int layers = 3) => new()
    {
        VocabSize = vocabSize, HiddenSize = 64, NumHiddenLayers = layers,
        NumAttentionHeads = 4, NumKeyValueHeads = 2, HeadDim = 16,
        IntermediateSize = 96, MoeIntermediateSize = 24,
        NumExperts = 16, NumExpertsPerToken = 4, NumSharedExperts = 1,
        NumExpertGroups = 4, TopKGroups = 2, RoutedScalingFactor = 2.5,
        FirstKDenseReplace = 1, RopeTheta = 600000, PartialRotaryFactor = 0.5,
        MaskTokenId = Math.Min(156895, vocabSize - 2), EosTokenId = Math.Min(156892, vocabSize - 3),
        PadTokenId = Math.Min(156892, vocabSize - 3), TorchDtype = "float32",
    };

    /// <summary>Looks a shape up by name: tiny, mini, mini-N (N layers), flash, flash-N.</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static LLaDA2Config ByName(string name)
    {
        string[] parts = name.Trim().ToLowerInvariant().Split('-', 2);
        int? layers = parts.Length == 2 && int.TryParse(parts[1], out int n) && n > 0 ? n : null;
        if (parts.Length == 2 && layers is null)
            throw new ArgumentException($"shape '{name}': the layer count after '-' must be a positive integer (e.g. mini-4).", nameof(name));
        return parts[0] switch
        {
            "tiny" => Tiny(layers: layers ?? 3),
            "mini" => Mini(layers ?? 20),
            "flash" => Flash(layers ?? 32),
            _ => throw new ArgumentException($"shape '{name}' is not one of: tiny[-N], mini[-N], flash[-N].", nameof(name)),
        };
    }
}
