using Dllm.Decoding;

namespace Dllm;

/// <summary>Options of a <see cref="DllmEngine"/> (the counterpart of <c>sgl.Engine(...)</c>'s arguments).</summary>
public sealed record DllmEngineOptions
{
    /// <summary>The default of <see cref="MaxQueuedRequests"/>.</summary>
    public const int DefaultMaxQueuedRequests = 1024;

    /// <summary>An HF model directory: config.json, safetensors, tokenizer.json.</summary>
    public required string ModelPath { get; init; }

    /// <summary>How weights are obtained.</summary>
    public LoadFormat LoadFormat { get; init; } = LoadFormat.Auto;

    /// <summary>The decoding algorithm by name (<c>LowConfidence</c>, <c>JointThreshold</c>).</summary>
    public string Algorithm { get; init; } = "LowConfidence";

    /// <summary>A YAML file with the algorithm's settings (<c>--dllm-algorithm-config</c>).</summary>
    public string? AlgorithmConfigPath { get; init; }

    /// <summary>The algorithm's settings as an object; wins over <see cref="AlgorithmConfigPath"/>.</summary>
    public DiffusionAlgorithmConfig? AlgorithmConfig { get; init; }

    /// <summary>Requests decoded together in one batch (<c>--max-running-requests</c>); the rest wait.</summary>
    public int MaxRunningRequests { get; init; } = 16;

    /// <summary>Requests that may wait for a slot at once (<c>--max-queued-requests</c>, at least 1); one more is refused with a
    /// <see cref="DllmQueueFullException"/>. Default 1024; null: no limit.</summary>
    public int? MaxQueuedRequests { get; init; } = DefaultMaxQueuedRequests;

    /// <summary>Longest prompt + generation per request (K/V cache length per slot); null: min(model max, 8192).</summary>
    public int? ContextLength { get; init; }

    /// <summary>auto, cpu, cuda, cuda:N.</summary>
    public string Device { get; init; } = "auto";

    /// <summary>Split the layers over this many GPUs (cuda:0..N-1), balanced by weight bytes (<c>--gpus</c>); null or 1: one device.</summary>
    public int? Gpus { get; init; }

    /// <summary>An explicit layer split such as <c>0-15:cuda:0,16-31:cuda:1</c> (<c>--device-map</c>); wins over <see cref="Gpus"/>.</summary>
    public string? DeviceMap { get; init; }

    /// <summary>auto (bfloat16 on CUDA, float32 on CPU), bfloat16, float16, float32.</summary>
    public string DType { get; init; } = "auto";

    /// <summary>
    /// libtorch's intra-op threads for the CPU (<c>torch.set_num_threads</c>; process-wide: the last engine created
    /// sets it). Null: <see cref="Native.IntraOpThreads.Default"/> (physical cores, at most the CPUs this process may
    /// use) on a CPU device, libtorch's own on CUDA. Fewer threads than cores leave room for other processes: under
    /// contention a thread that waits for a busy core stalls every step (docs/benchmarks.md, "CPU under contention").
    /// </summary>
    public int? CpuThreads { get; init; }

    /// <summary>An existing libtorch directory (external-backend builds).</summary>
    public string? LibTorchDirectory { get; init; }

    /// <summary>Seed of the dummy weights.</summary>
    public long DummySeed { get; init; } = 1;

    /// <summary>Scale of the dummy model's final norm: 1 gives a random model (one token per step), large values
    /// (e.g. 100) a peaked one whose confident predictions commit several tokens per step.</summary>
    public double DummyLogitSharpness { get; init; } = 1.0;

    /// <summary>Store resolved blocks' K/V in the same forward as the next blocks' first step when every running
    /// request of a block size carries one (exact; one forward instead of two), else in one batched clean pass.
    /// On by default (H100, docs/benchmarks.md: faster in 5 of 6 measured settings); false always runs the
    /// separate clean pass.</summary>
    public bool FuseCleanPass { get; init; } = true;

    /// <summary>Replay denoising steps from CUDA graphs (SGLang's <c>--disable-cuda-graph</c> turns this off). Needs a
    /// CUDA model on one device and <c>libdllm_cuda.so</c> next to the app (src/Dllm.Cuda.Native); without them the
    /// engine logs why and runs op by op.</summary>
    public bool CudaGraphs { get; init; } = true;

    /// <summary>The model name reported to clients; null: the model directory's name.</summary>
    public string? ServedModelName { get; init; }

    /// <summary>The model name reported to clients: <see cref="ServedModelName"/>, else the model directory's name.</summary>
    public string ResolveModelName() =>
        ServedModelName ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(ModelPath)));
}
