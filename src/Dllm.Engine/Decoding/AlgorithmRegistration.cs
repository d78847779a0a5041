namespace Dllm.Decoding;

/// <summary>One registry entry: the algorithm's name, the YAML keys it accepts, and how to build it from a config.</summary>
internal sealed record AlgorithmRegistration(
    string Name,
    IReadOnlyList<AlgorithmConfigKey> Keys,
    Func<DiffusionAlgorithmConfig, IDiffusionAlgorithm> Create);
