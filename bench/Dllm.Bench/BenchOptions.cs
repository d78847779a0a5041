namespace Dllm.Bench;

/// <summary>Command-line options of the benchmark (<c>--name value</c> pairs).</summary>
internal sealed record BenchOptions
{
    public string Shape { get; init; } = "mini";
    public string? ModelPath { get; init; }
    public string Device { get; init; } = "auto";
    public string DType { get; init; } = "bf16";
    public int[] Prefixes { get; init; } = [0, 1024];
    public int[] Batches { get; init; } = [1, 4, 16];
    public int[] Prefills { get; init; } = [1024, 8192];
    public int Iterations { get; init; } = 30;
    public int BlockSize { get; init; } = 32;
    /// <summary>The batch-1 memory floor the step table divides by (<c>--floor-ms</c>); null: the device's
    /// (<see cref="MemoryFloor"/>).</summary>
    public double? FloorMs { get; init; }
    public string Json { get; init; } = "bench.json";
    public string Mode { get; init; } = "model";
    public int[] Concurrency { get; init; } = [1, 4, 16, 64];
    public int NewTokens { get; init; } = 256;
    /// <summary>Prompt length of each e2e request (random ids).</summary>
    public int PromptTokens { get; init; } = 64;
    /// <summary>Turns of each e2e conversation (a turn's prompt = the previous prompt + answer + 16 new tokens).</summary>
    public int Turns { get; init; } = 1;
    /// <summary>Whether each e2e concurrency level runs once untimed first (other prompts, same shapes: its CUDA graphs
    /// are captured and a shared prefix is cached before the timed run).</summary>
    public bool WarmPass { get; init; }
    /// <summary>Whether e2e requests ask for per-step records (<c>GenerateRequest.ReturnSteps</c>).</summary>
    public bool ReturnSteps { get; init; }
    public double PeakedSharpness { get; init; } = 100;
    public int Gpus { get; init; } = 1;
    public string? DeviceMap { get; init; }
    public Dllm.Model.MoePath MoePath { get; init; } = Dllm.Model.MoePath.Auto;
    public bool FuseCleanPass { get; init; } = true;
    public bool CudaGraphs { get; init; } = true;
    /// <summary>e2e: the engine's <c>--cuda-graph-bs</c> (null: its default list).</summary>
    public int[]? CudaGraphBatchSizes { get; init; }
    /// <summary>e2e: <c>--cuda-graph-bs all</c> lists every size up to the largest concurrency: a graph per batch size,
    /// as before padding (the before).</summary>
    public bool CudaGraphEverySize { get; init; }
    /// <summary>e2e: the engine's graph padding (<c>--cuda-graph-padding false</c>: its <c>--disable-cuda-graph-padding</c>).</summary>
    public bool CudaGraphPadding { get; init; } = true;
    /// <summary>The engine's prefix cache (<c>--radix-cache false</c>: the engine's <c>--disable-radix-cache</c>).</summary>
    public bool RadixCache { get; init; } = true;
    /// <summary>e2e: steps wait for the device after their forward, so "to logits" holds the device's forward time and
    /// "sample + copy" the sampling alone (<c>--sync-profile true</c>).</summary>
    public bool SyncProfile { get; init; }
    /// <summary>e2e: tokens every request's prompt starts with (a shared system prompt), before its own 64.</summary>
    public int SharedPrefix { get; init; }
    /// <summary>e2e: request i arrives i times this many milliseconds after the first (0: all at once).</summary>
    public double ArrivalMs { get; init; }
    /// <summary>A captured forward's reload rewrites only the rows of the requests that moved
    /// (<c>Dllm.Runner.BatchGeometry.PartialReloadEnabled</c>; false: the whole layout, the before).</summary>
    public bool? PartialReload { get; init; }
    /// <summary>e2e: a whole reload waits for the device first and times the wait apart from its copies
    /// (<c>Dllm.Runner.ReloadCounts.TimeWaitApart</c>).</summary>
    public bool? ReloadWaitApart { get; init; }
    /// <summary>A captured forward's reload copies through page-locked twins without waiting for the device
    /// (<c>Dllm.Runner.StagedUploads.Enabled</c>; false: from pageable memory, each copy waiting, the before).</summary>
    public bool? PinnedReload { get; init; }
    /// <summary>Sets <c>GroupedMatmul.GemvMaxRowsPerGroup</c> (rows per expert up to which the GEMV kernel runs).</summary>
    public double? GemvMaxRows { get; init; }
    /// <summary>Sets <c>GroupedMatmul.GemvMinDepth</c> (the shortest dot product the GEMV kernel takes).</summary>
    public long? GemvMinDepth { get; init; }
    /// <summary>Sets <c>GroupedMatmul.MmaMaxRowsPerGroup</c> (rows per expert up to which the tensor-core kernel runs;
    /// 0: off).</summary>
    public double? MmaMaxRows { get; init; }
    /// <summary>Attention reads the paged K/V cache in place with the native kernel (<c>Dllm.Model.PagedAttention</c>).</summary>
    public bool? PagedAttention { get; init; }
    /// <summary>The routed pairs' layout by the native kernel (<c>Dllm.Model.ExpertLayout.KernelEnabled</c>).</summary>
    public bool? MoeAlignKernel { get; init; }
    /// <summary>The layout kernel's pass table for the tensor-core expert kernel (<c>Dllm.Model.ExpertLayout.PassTableEnabled</c>).</summary>
    public bool? PassTable { get; init; }
    /// <summary>The attention's qk-norm, rotary embedding and K/V store as one kernel (<c>Dllm.Model.QkRopeStore.Enabled</c>).</summary>
    public bool? FusedRope { get; init; }
    /// <summary>Greedy proposals of bf16 models by the one-pass kernel (<c>Dllm.Decoding.TokenSampler.NativeGreedyEnabled</c>).</summary>
    public bool? NativeGreedy { get; init; }
    /// <summary>The MoE layers' shared expert on a second stream beside the routed experts (<c>Dllm.Model.SharedExpertOverlap.Enabled</c>).</summary>
    public bool? SharedOverlap { get; init; }
    /// <summary>The grouped expert path's SwiGLU and combine as kernels (<c>Dllm.Model.FusedExpertOps.Enabled</c>).</summary>
    public bool? FusedExpertOps { get; init; }
    /// <summary>The router's gate projection as the native kernel for bf16 hidden states (<c>Dllm.Model.MoeRouter.LogitsKernelEnabled</c>).</summary>
    public bool? RouterLogitsKernel { get; init; }
    /// <summary>The router's gate projection on tensor cores (cuBLAS's bf16 GEMM to fp32) for bf16 hidden states and a bf16-valued
    /// gate (<c>Dllm.Model.MoeRouter.TensorCoreProjectionEnabled</c>).</summary>
    public bool? RouterTensorCores { get; init; }
    /// <summary>bf16 logits widened to fp32 by the native kernel (<c>Dllm.Model.LogitsWidening.Enabled</c>).</summary>
    public bool? WidenKernel { get; init; }
    /// <summary>The logits kept in the model's dtype, bf16 here, from the lm_head to the greedy kernel
    /// (<c>Dllm.Model.LogitsProjection.KeepsModelDType</c>; false: widened to fp32 at the forward, the path before).</summary>
    public bool? Bf16Logits { get; init; }
    public int? TokensPerRequest { get; init; }
    /// <summary>Step bench: a paged K/V pool of pages of this many positions, each sequence's pages scattered over it as
    /// the engine's are (<c>--page-size 32</c>); null: one page per sequence.</summary>
    public int? PageSize { get; init; }
    /// <summary>Step bench: the fraction of each block's tokens that are the mask id, as in a block being denoised (a
    /// block starts all masks); 0 (default): random ids (<c>--mask-fraction 0.5</c>).</summary>
    public double MaskFraction { get; init; }
    /// <summary>Step bench: the last timed iterations of each step row (up to 3) run inside a profiler range
    /// (<c>cudaProfilerStart</c>/<c>Stop</c>), so that <c>ncu --profile-from-start off</c> records only them, not the
    /// model's load (<c>--profile-range true</c>; eng/gpu/kernel-profile.sh).</summary>
    public bool ProfileRange { get; init; }
    /// <summary>Step bench: the last three timed iterations of each whole-prompt prefill row run inside a profiler range
    /// instead (<c>--profile-prefill true</c>; <c>eng/gpu/kernel-profile.sh OUT prefill LENGTH</c>).</summary>
    public bool ProfilePrefill { get; init; }
    public int? CpuThreads { get; init; }
    /// <summary>OMP_WAIT_POLICY set before libtorch loads; "default" leaves OpenMP's own.</summary>
    public string OmpWaitPolicy { get; init; } = "PASSIVE";
    public int Repeats { get; init; } = 3;
    /// <summary>Busy-loop processes <c>cpu-contention</c> runs beside the engine, comma separated (one table block each).</summary>
    public int[] BusyProcesses { get; init; } = [0, 2];

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        for (int i = 0; i < args.Length; i += 2)
        {
            string key = args[i], value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{key} needs a value");
            options = key switch
            {
                "--shape" => options with { Shape = value },
                "--model-path" => options with { ModelPath = value },
                "--device" => options with { Device = value },
                "--dtype" => options with { DType = value },
                "--prefixes" => options with { Prefixes = Ints(value) },
                "--batches" => options with { Batches = Ints(value) },
                "--prefills" => options with { Prefills = Ints(value) },
                "--iterations" => options with { Iterations = int.Parse(value) },
                "--block-size" => options with { BlockSize = int.Parse(value) },
                "--floor-ms" => options with { FloorMs = double.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
                "--json" => options with { Json = value },
                "--mode" => options with { Mode = value },
                "--gpus" => options with { Gpus = int.Parse(value) },
                "--device-map" => options with { DeviceMap = value },
                "--tokens-per-request" => options with { TokensPerRequest = int.Parse(value) },
                "--page-size" => options with { PageSize = int.Parse(value) },
                "--profile-range" => options with { ProfileRange = bool.Parse(value) },
                "--profile-prefill" => options with { ProfilePrefill = bool.Parse(value) },
                "--mask-fraction" => options with { MaskFraction = double.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
                "--fuse-clean-pass" => options with { FuseCleanPass = bool.Parse(value) },
                "--gemv-max-rows" => options with { GemvMaxRows = double.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
                "--gemv-min-depth" => options with { GemvMinDepth = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
                "--mma-max-rows" => options with { MmaMaxRows = double.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
                "--paged-attention" => options with { PagedAttention = bool.Parse(value) },
                "--moe-align-kernel" => options with { MoeAlignKernel = bool.Parse(value) },
                "--pass-table" => options with { PassTable = bool.Parse(value) },
                "--fused-rope" => options with { FusedRope = bool.Parse(value) },
                "--native-greedy" => options with { NativeGreedy = bool.Parse(value) },
                "--shared-overlap" => options with { SharedOverlap = bool.Parse(value) },
                "--fused-expert-ops" => options with { FusedExpertOps = bool.Parse(value) },
                "--router-logits-kernel" => options with { RouterLogitsKernel = bool.Parse(value) },
                "--router-tensor-cores" => options with { RouterTensorCores = bool.Parse(value) },
                "--widen-kernel" => options with { WidenKernel = bool.Parse(value) },
                "--bf16-logits" => options with { Bf16Logits = bool.Parse(value) },
                "--cuda-graphs" => options with { CudaGraphs = bool.Parse(value) },
                "--cuda-graph-bs" => value == "all" ? options with { CudaGraphEverySize = true } : options with { CudaGraphBatchSizes = Ints(value) },
                "--cuda-graph-padding" => options with { CudaGraphPadding = bool.Parse(value) },
                "--radix-cache" => options with { RadixCache = bool.Parse(value) },
                "--sync-profile" => options with { SyncProfile = bool.Parse(value) },
                "--shared-prefix" => options with { SharedPrefix = int.Parse(value) },
                "--arrival-ms" => options with { ArrivalMs = double.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
                "--partial-reload" => options with { PartialReload = bool.Parse(value) },
                "--reload-wait-apart" => options with { ReloadWaitApart = bool.Parse(value) },
                "--pinned-reload" => options with { PinnedReload = bool.Parse(value) },
                "--moe-path" => options with { MoePath = Enum.Parse<Dllm.Model.MoePath>(value, ignoreCase: true) },
                "--cpu-threads" => options with { CpuThreads = int.Parse(value) },
                "--omp-wait-policy" => options with { OmpWaitPolicy = value },
                "--repeats" => options with { Repeats = int.Parse(value) },
                "--busy-processes" => options with { BusyProcesses = Ints(value) },
                "--concurrency" => options with { Concurrency = Ints(value) },
                "--new-tokens" => options with { NewTokens = int.Parse(value) },
                "--prompt-tokens" => options with { PromptTokens = int.Parse(value) },
                "--turns" => options with { Turns = int.Parse(value) },
                "--warm-pass" => options with { WarmPass = bool.Parse(value) },
                "--return-steps" => options with { ReturnSteps = bool.Parse(value) },
                "--peaked-sharpness" => options with { PeakedSharpness = double.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"unknown option {key}"),
            };
        }
        return options;
    }

    private static int[] Ints(string csv) => csv.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
}
