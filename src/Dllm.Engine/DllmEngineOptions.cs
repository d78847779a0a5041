namespace Dllm;

/// <summary>
/// Options of a <see cref="DllmEngine"/> (the counterpart of <c>sgl.Engine(...)</c>'s arguments): the one engine options
/// type, set in code, bound from configuration (<c>AddDllmChatClient</c>, whose settings are these plus the client's own)
/// and from <c>dllm serve</c>'s flags, and checked in one place (<see cref="DllmEngineOptionsValidator"/>). The defaults
/// stated here are the only ones.
/// </summary>
public record DllmEngineOptions
{
    /// <summary>The default of <see cref="MaxQueuedRequests"/>.</summary>
    public const int DefaultMaxQueuedRequests = 1024;

    /// <summary>The default of <see cref="MaxPrefillTokens"/> (SGLang's).</summary>
    public const int DefaultMaxPrefillTokens = 16384;

    /// <summary>An HF model directory: config.json, safetensors, tokenizer.json (<c>--model-path</c>).</summary>
    public required string ModelPath { get; set; }

    /// <summary>How weights are obtained (<c>--load-format</c>).</summary>
    public LoadFormat LoadFormat { get; set; } = LoadFormat.Auto;

    /// <summary>The decoding algorithm by name (<c>LowConfidence</c>, <c>JointThreshold</c>; <c>--dllm-algorithm</c>).</summary>
    public string Algorithm { get; set; } = "LowConfidence";

    /// <summary>A YAML file with the algorithm's settings (<c>--dllm-algorithm-config</c>).</summary>
    public string? AlgorithmConfigPath { get; set; }

    /// <summary>
    /// The algorithm's settings by key (<c>threshold</c>, <c>block_size</c>, ...), on top of <see cref="AlgorithmConfigPath"/>'s
    /// (<c>--dllm-algorithm-option KEY=VALUE</c>; in configuration a section of keys). Empty by default.
    /// </summary>
    public IDictionary<string, double> AlgorithmSettings { get; set; } = new Dictionary<string, double>(StringComparer.Ordinal);

    /// <summary>Requests decoded together in one batch at most (<c>--max-running-requests</c>); the rest wait. A limit, not
    /// an allocation: the K/V pool (<see cref="MaxTotalTokens"/>) decides how many fit at once.</summary>
    public int MaxRunningRequests { get; set; } = 16;

    /// <summary>Requests that may wait at once (<c>--max-queued-requests</c>, at least 1); one more is refused with a
    /// <see cref="DllmQueueFullException"/>. Default 1024; null: no limit.</summary>
    public int? MaxQueuedRequests { get; set; } = DefaultMaxQueuedRequests;

    /// <summary>
    /// New tokens one prefill forward computes at most (SGLang's <c>--max-prefill-tokens</c>, at least 1; default 16384):
    /// requests admitted together whose prompts have as many uncached tokens share one forward up to this many tokens in
    /// all, which reads the weights once for all of them; a longer prompt is prefilled alone.
    /// </summary>
    public int MaxPrefillTokens { get; set; } = DefaultMaxPrefillTokens;

    /// <summary>Longest prompt + generation per request (<c>--context-length</c>); null: min(model max, 8192).</summary>
    public int? ContextLength { get; set; }

    /// <summary>
    /// Tokens the paged K/V pool holds (SGLang's <c>--max-total-tokens</c>): pages of the block size, ceil(tokens / block
    /// size) of them. A request reserves at admission the pages of its prompt and first block and waits while they are not
    /// free; each further block takes a page, retracting the most recently admitted other request when none is left. One
    /// whose whole budget (prompt + <c>max_new_tokens</c>, in whole blocks) exceeds the pool is refused. Null: from
    /// <see cref="MemFractionStatic"/> on CUDA when it is set, else <see cref="MaxRunningRequests"/> × the context length.
    /// </summary>
    public int? MaxTotalTokens { get; set; }

    /// <summary>
    /// The fraction of each GPU's total memory for weights + the K/V pool (SGLang's <c>--mem-fraction-static</c>, between
    /// 0 and 1 exclusive): after loading, the pool takes what is free less (1 − fraction) × total, the rest is left to
    /// activations. CUDA only, and only when <see cref="MaxTotalTokens"/> is not set; null: the pool is sized by
    /// <see cref="MaxRunningRequests"/> × the context length.
    /// </summary>
    public double? MemFractionStatic { get; set; }

    /// <summary>Turn the prefix cache off (SGLang's <c>--disable-radix-cache</c>): every request prefills its whole
    /// prompt and no page outlives its request. By default whole prompt blocks (and the output blocks a finished request
    /// wrote) are cached by content and shared by later requests with the same prefix, as long as their block size is the
    /// engine's.</summary>
    public bool DisableRadixCache { get; set; }

    /// <summary>auto, cpu, cuda, cuda:N (<c>--device</c>).</summary>
    public string Device { get; set; } = "auto";

    /// <summary>Split the layers over this many GPUs (cuda:0..N-1), balanced by weight bytes (<c>--gpus</c>); null or 1: one device.</summary>
    public int? Gpus { get; set; }

    /// <summary>An explicit layer split such as <c>0-15:cuda:0,16-31:cuda:1</c> (<c>--device-map</c>); wins over <see cref="Gpus"/>.</summary>
    public string? DeviceMap { get; set; }

    /// <summary>auto (bfloat16 on CUDA, float32 on CPU), bfloat16, float16, float32 (<c>--dtype</c>).</summary>
    public string DType { get; set; } = "auto";

    /// <summary>
    /// libtorch's intra-op threads for the CPU (<c>torch.set_num_threads</c>; process-wide: the last engine created
    /// sets it). Null: <see cref="Native.IntraOpThreads.Default"/> (physical cores, at most the CPUs this process may
    /// use) on a CPU device, libtorch's own on CUDA. Fewer threads than cores leave room for other processes: under
    /// contention a thread that waits for a busy core stalls every step (docs/benchmarks.md, "CPU under contention";
    /// <c>--cpu-threads</c>).
    /// </summary>
    public int? CpuThreads { get; set; }

    /// <summary>An existing libtorch directory (external-backend builds; <c>--libtorch-dir</c>).</summary>
    public string? LibTorchDirectory { get; set; }

    /// <summary>Seed of the dummy weights (<c>--dummy-seed</c>).</summary>
    public long DummySeed { get; set; } = 1;

    /// <summary>Scale of the dummy model's final norm (<c>--dummy-logit-sharpness</c>): 1 gives a random model (one token per
    /// step), large values (e.g. 100) a peaked one whose confident predictions commit several tokens per step.</summary>
    public double DummyLogitSharpness { get; set; } = 1.0;

    /// <summary>Store resolved blocks' K/V in the same forward as the next blocks' step (exact): when every running
    /// request of a block size has one, and with CUDA graphs also when only some have (the others fill the forward's
    /// shape with placeholders, so a graphed step is always one forward); else in one batched clean pass before the
    /// step. On by default; false (<c>--disable-fused-clean-pass</c>) always runs the separate clean pass.</summary>
    public bool FuseCleanPass { get; set; } = true;

    /// <summary>Replay denoising steps from CUDA graphs (SGLang's <c>--disable-cuda-graph</c> turns this off). Needs a
    /// CUDA model on one device and <c>libdllm_cuda.so</c> next to the app (src/Dllm.Cuda.Native); without them the
    /// engine logs why and runs op by op.</summary>
    public bool CudaGraphs { get; set; } = true;

    /// <summary>The batch sizes steps are captured in CUDA graphs for (SGLang's <c>--cuda-graph-bs</c>); null: SGLang's kind
    /// of list (1 .. 8, 12, 16, 24, 32, ... <see cref="CudaGraphMaxBatchSize"/>). Each distinct batch size is a graph
    /// of its own (captured on first use, tens of milliseconds); a batch between two sizes replays the larger one's graph
    /// with padding rows, so requests that come and go capture a bounded set of graphs.</summary>
    public IList<int>? CudaGraphBatchSizes { get; set; }

    /// <summary>The largest batch replayed from a CUDA graph (SGLang's <c>--cuda-graph-max-bs</c>); larger batches run op by
    /// op. Null: <see cref="MaxRunningRequests"/> (with <see cref="CudaGraphBatchSizes"/> given: its largest size).</summary>
    public int? CudaGraphMaxBatchSize { get; set; }

    /// <summary>Replay a batch whose size is not listed from the next listed size's graph, with padding rows (SGLang's
    /// <c>--disable-cuda-graph-padding</c> turns this off: such a batch runs op by op). On by default.</summary>
    public bool CudaGraphPadding { get; set; } = true;

    /// <summary>The model name reported to clients (<c>--served-model-name</c>); null: the model directory's name.</summary>
    public string? ServedModelName { get; set; }

    /// <summary>The model name reported to clients: <see cref="ServedModelName"/>, else the model directory's name.</summary>
    public string ResolveModelName() =>
        ServedModelName ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(ModelPath)));
}
