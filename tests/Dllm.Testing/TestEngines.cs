using Dllm.Decoding;

namespace Dllm.Testing;

/// <summary>Engines over the tiny models, on the CPU in fp32.</summary>
public static class TestEngines
{
    /// <summary>Options for a CPU fp32 engine over <paramref name="modelPath"/>.</summary>
    public static DllmEngineOptions Options(string modelPath, int maxRunningRequests = 8, int blockSize = 32, string algorithm = "LowConfidence") => new()
    {
        ModelPath = modelPath,
        Device = "cpu",
        DType = "float32",
        MaxRunningRequests = maxRunningRequests,
        ContextLength = 1024,
        Algorithm = algorithm,
        AlgorithmSettings = new Dictionary<string, double> { [AlgorithmConfigKeys.BlockSize.Name] = blockSize },
    };

    /// <summary>Creates an engine over <paramref name="modelPath"/>.</summary>
    public static Task<DllmEngine> CreateAsync(string modelPath, int maxRunningRequests = 8, int blockSize = 32) =>
        DllmEngine.CreateAsync(Options(modelPath, maxRunningRequests, blockSize));
}
