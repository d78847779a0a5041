using System.Globalization;
using System.Text;
using Dllm.Checkpoints;
using Dllm.Native;

namespace Dllm.Server.Hosting;

/// <summary>
/// What a loaded server runs, as an aligned block of <c>name: value</c> lines (model, shape, device, dtype, CPU
/// threads, libtorch, decoding, limits), logged once when the model is ready so an operator reads the set-up at a glance.
/// </summary>
internal static class StartupReport
{
    /// <summary>The block's lines, without a trailing newline.</summary>
    public static string Describe(DllmEngine engine)
    {
        var config = engine.ModelConfig;
        var backend = engine.Backend;
        var lines = new List<(string Name, string Value)>
        {
            ("model", $"{engine.ModelName} ({Path.GetFullPath(engine.Options.ModelPath)})"),
            ("shape", Invariant($"{config.NumHiddenLayers} layers, hidden {config.HiddenSize}, {config.NumAttentionHeads} heads ({config.NumKeyValueHeads} K/V), {config.NumExperts} experts (top {config.NumExpertsPerToken}), vocabulary {config.VocabSize}, {new LLaDA2CheckpointLayout(config).ParameterCount:N0} parameters")),
            ("device", engine.Device.ToString()),
            ("dtype", engine.DType.ToString().ToLowerInvariant()),
            ("threads", Invariant($"{IntraOpThreads.Current} intra-op (of {Environment.ProcessorCount} CPUs this process may use), OpenMP wait {backend.OpenMpWaitPolicy}")),
            ("libtorch", backend.LibTorchDirectory),
            ("torch", $"{backend.LibTorchVersion ?? "version unknown"}, {backend.Runtime}"),
            ("algorithm", Invariant($"{engine.AlgorithmName}, block {engine.BlockSize}")),
            ("context", Invariant($"{engine.ContextLength} tokens per request")),
            ("requests", Invariant($"{engine.MaxRunningRequests} running at most, {(engine.MaxQueuedRequests is int queued ? queued.ToString(CultureInfo.InvariantCulture) : "unlimited")} waiting")),
        };
        if (backend.CudaAvailable)
            lines.Insert(3, ("cuda", Invariant($"{backend.CudaDeviceCount} device(s), {backend.DeviceName}")));
        int width = lines.Max(l => l.Name.Length) + 1;
        var text = new StringBuilder();
        foreach (var (name, value) in lines)
            text.Append((name + ":").PadRight(width + 1)).Append(value).Append('\n');
        return text.ToString().TrimEnd('\n');
    }

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
