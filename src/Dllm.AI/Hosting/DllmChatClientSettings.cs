namespace Dllm.AI.Hosting;

/// <summary>
/// What <c>services.AddDllmChatClient(...)</c> binds from configuration (a section such as <c>"Dllm"</c>) and/or a
/// callback: the engine's settings (used when this registration is the one that registers the shared engine) and the
/// client's. Checked when the application starts; each bad field gets its own message.
/// </summary>
public sealed class DllmChatClientSettings
{
    private static readonly DllmEngineOptions EngineDefaults = new() { ModelPath = "" };

    /// <summary>An HF model directory: config.json, safetensors, tokenizer.json. Required.</summary>
    public string? ModelPath { get; set; }

    /// <summary>How weights are obtained (<c>Auto</c>, <c>Safetensors</c>, <c>Dummy</c>).</summary>
    public LoadFormat LoadFormat { get; set; } = EngineDefaults.LoadFormat;

    /// <summary>The decoding algorithm by name (<c>LowConfidence</c>, <c>JointThreshold</c>).</summary>
    public string Algorithm { get; set; } = EngineDefaults.Algorithm;

    /// <summary>A YAML file with the algorithm's settings.</summary>
    public string? AlgorithmConfigPath { get; set; }

    /// <summary>Requests decoded together in one batch; the rest wait.</summary>
    public int MaxRunningRequests { get; set; } = EngineDefaults.MaxRunningRequests;

    /// <summary>Requests that may wait for a slot at once; one more is refused with <see cref="DllmQueueFullException"/>.
    /// Default 1024; null: no limit.</summary>
    public int? MaxQueuedRequests { get; set; } = EngineDefaults.MaxQueuedRequests;

    /// <summary>Longest prompt + generation per request; null: the model's maximum, at most 8192.</summary>
    public int? ContextLength { get; set; }

    /// <summary><c>auto</c>, <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; set; } = EngineDefaults.Device;

    /// <summary><c>auto</c>, <c>bfloat16</c>, <c>float16</c> or <c>float32</c>.</summary>
    public string DType { get; set; } = EngineDefaults.DType;

    /// <summary>libtorch's intra-op CPU threads (process-wide); null: the machine's physical cores, at most the CPUs the process may use.</summary>
    public int? CpuThreads { get; set; }

    /// <summary>An existing libtorch directory (external-backend builds only).</summary>
    public string? LibTorchDirectory { get; set; }

    /// <summary>Seed of the random weights of <see cref="LoadFormat.Dummy"/>.</summary>
    public long DummySeed { get; set; } = EngineDefaults.DummySeed;

    /// <summary>The model name reported to clients; null: the model directory's name.</summary>
    public string? ServedModelName { get; set; }

    /// <summary>Most tokens to generate when a request does not say; null: the engine's default.</summary>
    public int? DefaultMaxOutputTokens { get; set; }

    /// <summary>The engine options these settings describe.</summary>
    public DllmEngineOptions ToEngineOptions() => new()
    {
        ModelPath = ModelPath ?? "",
        LoadFormat = LoadFormat,
        Algorithm = Algorithm,
        AlgorithmConfigPath = AlgorithmConfigPath,
        MaxRunningRequests = MaxRunningRequests,
        MaxQueuedRequests = MaxQueuedRequests,
        ContextLength = ContextLength,
        Device = Device,
        DType = DType,
        CpuThreads = CpuThreads,
        LibTorchDirectory = LibTorchDirectory,
        DummySeed = DummySeed,
        ServedModelName = ServedModelName,
    };

    /// <summary>The chat client options these settings describe.</summary>
    public DllmChatClientOptions ToClientOptions() => new() { DefaultMaxOutputTokens = DefaultMaxOutputTokens };
}
