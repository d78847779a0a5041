using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Dllm.Native;

/// <summary>
/// <c>libdllm_cuda.so</c> (src/Dllm.Cuda.Native): CUDA graphs and torch's grouped GEMM, which TorchSharp does not
/// expose, and kernels of the project's own (grouped GEMV and a grouped tensor-core product for the MoE experts, MoE
/// router and its gate projection, the routed pairs' layout by expert, RMSNorm, qk-norm + RoPE + K/V store, SwiGLU and
/// the experts' weighted sum, greedy proposals, the logits' widening, paged attention), as C functions on TorchSharp
/// tensor handles.
/// Optional: without it the engine runs op by op on
/// TorchSharp alone. Looked up at <c>DLLM_CUDA_NATIVE</c> (a file), else next to the app.
/// </summary>
public static unsafe class CudaNative
{
    /// <summary>The library's file name.</summary>
    public const string LibraryName = "libdllm_cuda.so";

    /// <summary>Environment variable naming the library file explicitly.</summary>
    public const string PathVariable = "DLLM_CUDA_NATIVE";

    private const int AbiVersion = 22;
    private static readonly Lazy<Exports?> Loaded = new(Load);
    private static string _unavailableReason = "not looked up yet";

    /// <summary>Whether the library was found and loaded (call only once libtorch is loaded).</summary>
    public static bool IsAvailable => Loaded.Value is not null;

    /// <summary>Why the library is not available (null when it is).</summary>
    public static string? UnavailableReason => IsAvailable ? null : _unavailableReason;

    /// <summary>Whether CUDA graphs and the grouped GEMM can be used for tensors on <paramref name="device"/>.</summary>
    public static bool Serves(Device device) => device.type == DeviceType.CUDA && IsAvailable;

    private sealed class Exports
    {
        public required delegate* unmanaged<nint> LastError;
        public required delegate* unmanaged<int, int> Profiler;
        public required delegate* unmanaged<int> EnterSideStream;
        public required delegate* unmanaged<int> LeaveSideStream;
        public required delegate* unmanaged<int, int> ForkBegin;
        public required delegate* unmanaged<int, int> ForkEnd;
        public required delegate* unmanaged<int, int> ForkJoin;
        public required delegate* unmanaged<nint*, int> GraphBegin;
        public required delegate* unmanaged<nint, int> GraphEnd;
        public required delegate* unmanaged<nint, int> GraphReplay;
        public required delegate* unmanaged<nint, void> GraphDestroy;
        public required delegate* unmanaged<nint, void> GraphAbort;
        public required delegate* unmanaged<nint*, int> EventRecord;
        public required delegate* unmanaged<nint, int> EventWait;
        public required delegate* unmanaged<nint, void> EventDestroy;
        public required delegate* unmanaged<nint, nint, nint, nint*, int> GroupedMm;
        public required delegate* unmanaged<nint, nint, nint, nint, nint*, int> GroupedGemv;
        public required delegate* unmanaged<nint, nint, nint, nint, nint, nint*, int> GroupedMma;
        public required delegate* unmanaged<nint, nint, int, int, int, int, float, nint*, nint*, int> MoeRouter;
        public required delegate* unmanaged<nint, nint, nint, int, int, int, int, float, nint*, nint*, int> MoeRouteHidden;
        public required delegate* unmanaged<nint, int, nint*, nint*, nint*, nint*, int> MoeAlign;
        public required delegate* unmanaged<nint, nint, double, nint*, int> RmsNorm;
        public required delegate* unmanaged<nint, nint, nint, double, nint*, nint*, int> AddRmsNorm;
        public required delegate* unmanaged<long, int> AddRmsNormTakes;
        public required delegate* unmanaged<nint, nint, double, nint, nint, int, int, int, nint, nint, nint, nint*, int> QkRopeStore;
        public required delegate* unmanaged<nint, nint, int> GreedyPropose;
        public required delegate* unmanaged<nint, nint*, int> SwiGlu;
        public required delegate* unmanaged<nint, nint, int> Widen;
        public required delegate* unmanaged<int> ProjectsToFloat;
        public required delegate* unmanaged<nint, nint, nint*, int> ProjectToFloat;
        public required delegate* unmanaged<nint, nint, nint, int> ProjectInto;
        public required delegate* unmanaged<nint, nint, nint, nint, nint*, int> MoeCombine;
        public required delegate* unmanaged<nint, nint, nint, nint, nint, nint, nint, nint, nint*, int> PagedAttention;
    }

    private static Exports? Load()
    {
        var explicitPath = Environment.GetEnvironmentVariable(PathVariable);
        var path = string.IsNullOrEmpty(explicitPath) ? Path.Combine(AppContext.BaseDirectory, LibraryName) : explicitPath;
        if (!File.Exists(path))
        {
            _unavailableReason = $"{path} does not exist (build it on the CUDA host with src/Dllm.Cuda.Native/build.sh, or set {PathVariable})";
            return null;
        }
        if (!NativeLibrary.TryLoad(path, out var handle))
        {
            _unavailableReason = $"{path} could not be loaded (it links against the libtorch it was built with; is that libtorch on LD_LIBRARY_PATH?)";
            return null;
        }
        var version = (delegate* unmanaged<int>)NativeLibrary.GetExport(handle, "dllm_cuda_abi_version");
        if (version() != AbiVersion)
        {
            _unavailableReason = $"{path} has C interface version {version()}, this engine needs {AbiVersion}: rebuild it";
            return null;
        }
        nint Export(string name) => NativeLibrary.GetExport(handle, name);
        return new Exports
        {
            LastError = (delegate* unmanaged<nint>)Export("dllm_cuda_last_error"),
            Profiler = (delegate* unmanaged<int, int>)Export("dllm_cuda_profiler"),
            EnterSideStream = (delegate* unmanaged<int>)Export("dllm_cuda_enter_side_stream"),
            LeaveSideStream = (delegate* unmanaged<int>)Export("dllm_cuda_leave_side_stream"),
            ForkBegin = (delegate* unmanaged<int, int>)Export("dllm_cuda_fork_begin"),
            ForkEnd = (delegate* unmanaged<int, int>)Export("dllm_cuda_fork_end"),
            ForkJoin = (delegate* unmanaged<int, int>)Export("dllm_cuda_fork_join"),
            GraphBegin = (delegate* unmanaged<nint*, int>)Export("dllm_cuda_graph_begin"),
            GraphEnd = (delegate* unmanaged<nint, int>)Export("dllm_cuda_graph_end"),
            GraphReplay = (delegate* unmanaged<nint, int>)Export("dllm_cuda_graph_replay"),
            GraphDestroy = (delegate* unmanaged<nint, void>)Export("dllm_cuda_graph_destroy"),
            GraphAbort = (delegate* unmanaged<nint, void>)Export("dllm_cuda_graph_abort"),
            EventRecord = (delegate* unmanaged<nint*, int>)Export("dllm_cuda_event_record"),
            EventWait = (delegate* unmanaged<nint, int>)Export("dllm_cuda_event_wait"),
            EventDestroy = (delegate* unmanaged<nint, void>)Export("dllm_cuda_event_destroy"),
            GroupedMm = (delegate* unmanaged<nint, nint, nint, nint*, int>)Export("dllm_cuda_grouped_mm"),
            GroupedGemv = (delegate* unmanaged<nint, nint, nint, nint, nint*, int>)Export("dllm_cuda_grouped_gemv"),
            GroupedMma = (delegate* unmanaged<nint, nint, nint, nint, nint, nint*, int>)Export("dllm_cuda_grouped_mma"),
            MoeRouter = (delegate* unmanaged<nint, nint, int, int, int, int, float, nint*, nint*, int>)Export("dllm_cuda_moe_router"),
            MoeRouteHidden = (delegate* unmanaged<nint, nint, nint, int, int, int, int, float, nint*, nint*, int>)Export("dllm_cuda_moe_route_hidden"),
            MoeAlign = (delegate* unmanaged<nint, int, nint*, nint*, nint*, nint*, int>)Export("dllm_cuda_moe_align"),
            RmsNorm = (delegate* unmanaged<nint, nint, double, nint*, int>)Export("dllm_cuda_rms_norm"),
            AddRmsNorm = (delegate* unmanaged<nint, nint, nint, double, nint*, nint*, int>)Export("dllm_cuda_add_rms_norm"),
            AddRmsNormTakes = (delegate* unmanaged<long, int>)Export("dllm_cuda_add_rms_norm_takes"),
            QkRopeStore = (delegate* unmanaged<nint, nint, double, nint, nint, int, int, int, nint, nint, nint, nint*, int>)Export("dllm_cuda_qk_rope_store"),
            GreedyPropose = (delegate* unmanaged<nint, nint, int>)Export("dllm_cuda_greedy_propose"),
            SwiGlu = (delegate* unmanaged<nint, nint*, int>)Export("dllm_cuda_swiglu"),
            Widen = (delegate* unmanaged<nint, nint, int>)Export("dllm_cuda_widen"),
            ProjectsToFloat = (delegate* unmanaged<int>)Export("dllm_cuda_projects_to_float"),
            ProjectToFloat = (delegate* unmanaged<nint, nint, nint*, int>)Export("dllm_cuda_project_to_float"),
            ProjectInto = (delegate* unmanaged<nint, nint, nint, int>)Export("dllm_cuda_project_into"),
            MoeCombine = (delegate* unmanaged<nint, nint, nint, nint, nint*, int>)Export("dllm_cuda_moe_combine"),
            PagedAttention = (delegate* unmanaged<nint, nint, nint, nint, nint, nint, nint, nint, nint*, int>)Export("dllm_cuda_paged_attention"),
        };
    }

    private static Exports Library => Loaded.Value ?? throw new InvalidOperationException($"{LibraryName} is not available: {_unavailableReason}");

    private static void Check(int status, string what)
    {
        if (status != 0)
            throw new InvalidOperationException($"{LibraryName}: {what} failed: {Marshal.PtrToStringUTF8(Library.LastError())}");
    }

    /// <summary>Opens (<paramref name="on"/>) or closes the range that a profiler told to wait for it records
    /// (<c>cudaProfilerStart</c>/<c>cudaProfilerStop</c>; <c>ncu --profile-from-start off</c>); no-ops without one.</summary>
    internal static void Profiler(bool on) => Check(Library.Profiler(on ? 1 : 0), on ? "starting the profiler's range" : "stopping the profiler's range");

    /// <summary>Makes a side stream current on this thread (after the default stream's work): what follows runs,
    /// or is captured, there. Pair with <see cref="LeaveSideStream"/>.</summary>
    internal static void EnterSideStream() => Check(Library.EnterSideStream(), "entering the side stream");

    /// <summary>Waits for the side stream and makes the default stream current again.</summary>
    internal static void LeaveSideStream() => Check(Library.LeaveSideStream(), "leaving the side stream");

    /// <summary>Forks the work this thread issues next on CUDA <paramref name="device"/> onto a second stream of it (which
    /// first waits for the device's current stream's work so far); eager or inside a graph capture. Then
    /// <see cref="ForkEnd"/> returns to the first stream with the forked work running beside it, and
    /// <see cref="ForkJoin"/> makes the first stream wait for it. One fork at a time per device.</summary>
    internal static void ForkBegin(Device device) => Check(Library.ForkBegin(IndexOf(device)), "forking onto a second stream");

    /// <summary>Back to the stream the fork of <paramref name="device"/> came from (<see cref="ForkBegin"/>).</summary>
    internal static void ForkEnd(Device device) => Check(Library.ForkEnd(IndexOf(device)), "ending a fork");

    /// <summary>The current stream of <paramref name="device"/> waits for the forked work (<see cref="ForkBegin"/>).</summary>
    internal static void ForkJoin(Device device) => Check(Library.ForkJoin(IndexOf(device)), "joining a fork");

    /// <summary>The CUDA index of <paramref name="device"/> ("cuda" without one is device 0).</summary>
    private static int IndexOf(Device device) => device.index < 0 ? 0 : device.index;

    /// <summary>Starts capturing this thread's CUDA work into a graph (inside the side stream).</summary>
    internal static nint BeginGraph()
    {
        nint graph;
        Check(Library.GraphBegin(&graph), "beginning a graph capture");
        return graph;
    }

    /// <summary>Ends a capture and instantiates the graph.</summary>
    internal static void EndGraph(nint graph) => Check(Library.GraphEnd(graph), "ending a graph capture");

    /// <summary>Replays a captured graph on the current stream.</summary>
    internal static void ReplayGraph(nint graph) => Check(Library.GraphReplay(graph), "replaying a graph");

    /// <summary>Frees a graph.</summary>
    internal static void DestroyGraph(nint graph) => Library.GraphDestroy(graph);

    /// <summary>Ends a capture that failed part-way and frees its graph.</summary>
    internal static void AbortGraph(nint graph) => Library.GraphAbort(graph);

    /// <summary>Records <paramref name="cudaEvent"/> (created on first use, when 0) on the current stream: it completes when
    /// the work issued there so far has.</summary>
    internal static void RecordEvent(ref nint cudaEvent)
    {
        nint recorded = cudaEvent;
        Check(Library.EventRecord(&recorded), "recording an event");
        cudaEvent = recorded;
    }

    /// <summary>Waits on the host until the work before <paramref name="cudaEvent"/>'s last record has run.</summary>
    internal static void WaitForEvent(nint cudaEvent) => Check(Library.EventWait(cudaEvent), "waiting for an event");

    /// <summary>Frees an event of <see cref="RecordEvent"/>.</summary>
    internal static void DestroyEvent(nint cudaEvent) => Library.EventDestroy(cudaEvent);

    /// <summary>Grouped GEMM: rows <c>offsets[g-1]..offsets[g]</c> of <paramref name="a"/> [M, K] times
    /// <paramref name="b"/>[g] ([G, K, N]); <paramref name="offsets"/> int32 [G]. Returns [M, N].</summary>
    internal static Tensor GroupedMm(Tensor a, Tensor b, Tensor offsets)
    {
        nint result;
        Check(Library.GroupedMm(a.Handle, b.Handle, offsets.Handle, &result), "grouped GEMM");
        return Tensor.UnsafeCreateTensor(result);
    }

    /// <summary>Grouped matrix-vector products for few rows per group (a bandwidth-bound kernel of our own): rows
    /// <c>ends[g-1]..ends[g]</c> of <paramref name="a"/> [M, K] times <paramref name="weights"/>[g]ᵀ, weights
    /// [G, N, K] contiguous bf16; <paramref name="ends"/> int32 [G]. With <paramref name="rowsOf"/> (int64 [M']) row m of
    /// the product is row <c>rowsOf[m]</c> of <paramref name="a"/>: the gather happens in the kernel's loads. Returns
    /// [M (or M'), N].</summary>
    internal static Tensor GroupedGemv(Tensor a, Tensor weights, Tensor ends, Tensor? rowsOf = null)
    {
        nint result;
        Check(Library.GroupedGemv(a.Handle, rowsOf?.Handle ?? 0, weights.Handle, ends.Handle, &result), "grouped GEMV");
        return Tensor.UnsafeCreateTensor(result);
    }

    /// <summary>The same grouped product on tensor cores, for a few to some tens of rows per group (a kernel of our
    /// own that streams each group's weights once): rows <c>ends[g-1]..ends[g]</c> of <paramref name="a"/> [M, K] times
    /// <paramref name="weights"/>[g]ᵀ, weights [G, N, K] contiguous bf16 with N and K multiples of 64;
    /// <paramref name="ends"/> int32 [G]; <paramref name="passes"/>, when given, the pass table <see cref="MoeAlign"/>
    /// made with these ends (each 64-row pass of a group gets a block of its own, however skewed the groups);
    /// <paramref name="rowsOf"/> as in <see cref="GroupedGemv"/>. Returns [M (or M'), N].</summary>
    internal static Tensor GroupedMma(Tensor a, Tensor weights, Tensor ends, Tensor? passes = null, Tensor? rowsOf = null)
    {
        nint result;
        Check(Library.GroupedMma(a.Handle, rowsOf?.Handle ?? 0, weights.Handle, ends.Handle, passes?.Handle ?? 0, &result), "grouped tensor-core product");
        return Tensor.UnsafeCreateTensor(result);
    }

    /// <summary>The LLaDA2 router after its gate projection, in one kernel: <paramref name="logits"/> [T, 32·groups] fp32,
    /// <paramref name="bias"/> [E] fp32. Returns the chosen experts [T, k] int64 and their weights [T, k] fp32.</summary>
    internal static (Tensor Experts, Tensor Weights) MoeRoute(Tensor logits, Tensor bias, int groups, int topkGroups, int topk, bool normalize, double scaling)
    {
        nint experts, weights;
        Check(Library.MoeRouter(logits.Handle, bias.Handle, groups, topkGroups, topk, normalize ? 1 : 0, (float)scaling, &experts, &weights), "MoE router");
        return (Tensor.UnsafeCreateTensor(experts), Tensor.UnsafeCreateTensor(weights));
    }

    /// <summary>Whether <see cref="ProjectToFloat"/> can run: the libtorch the library runs on has <c>aten::mm.dtype</c>
    /// (PyTorch 2.8 and later).</summary>
    internal static bool ProjectsToFloat => IsAvailable && Library.ProjectsToFloat() == 1;

    /// <summary><paramref name="x"/> [T, H] · <paramref name="w"/> [N, H]ᵀ in fp32 for bf16 operands: cuBLAS's bf16 GEMM
    /// on tensor cores with fp32 accumulation and an fp32 output (no rounding of the sums to bf16). A bf16 × bf16 product
    /// is exact in fp32, so for a <paramref name="w"/> that holds an fp32 weight's exact bf16 values this is that weight's
    /// fp32 projection, summed in cuBLAS's order. Returns fp32 [T, N].</summary>
    internal static Tensor ProjectToFloat(Tensor x, Tensor w)
    {
        nint result;
        Check(Library.ProjectToFloat(x.Handle, w.Handle, &result), "projection to fp32");
        return Tensor.UnsafeCreateTensor(result);
    }

    /// <summary><paramref name="destination"/> [T, N] = <paramref name="x"/> [T, H] · <paramref name="w"/> [N, H]ᵀ, written
    /// in place (<c>at::mm_out</c>: the GEMM of <c>linear</c> without bias, into existing memory instead of a new tensor):
    /// one dtype, one CUDA device, <paramref name="destination"/> contiguous.</summary>
    internal static void ProjectInto(Tensor x, Tensor w, Tensor destination) =>
        Check(Library.ProjectInto(x.Handle, w.Handle, destination.Handle), "projection into a buffer");

    /// <summary>The whole LLaDA2 router for bf16 hidden states <paramref name="x"/> [T, H] (contiguous): the gate
    /// projection with <paramref name="gate"/> [32·groups, H] fp32 as fp32 partial sums over K ranges (fp32 products of
    /// the bf16 values, as cuBLAS's fp32 GEMM of the cast x makes them, summed in another order), then the router kernel.
    /// Two kernels instead of a cast, an fp32 GEMM with its split-K reduction and the router kernel. Returns what
    /// <see cref="MoeRoute"/> does.</summary>
    internal static (Tensor Experts, Tensor Weights) MoeRouteHidden(Tensor x, Tensor gate, Tensor bias, int groups, int topkGroups, int topk, bool normalize, double scaling)
    {
        nint experts, weights;
        Check(Library.MoeRouteHidden(x.Handle, gate.Handle, bias.Handle, groups, topkGroups, topk, normalize ? 1 : 0, (float)scaling, &experts, &weights), "MoE router from the hidden states");
        return (Tensor.UnsafeCreateTensor(experts), Tensor.UnsafeCreateTensor(weights));
    }

    /// <summary>The routed pairs of a MoE layer laid out by expert in one kernel, as a stable sort by expert would:
    /// <paramref name="experts"/> [T, k] int64 (values below <paramref name="numExperts"/>, at most 512). Returns the
    /// inclusive cumulative pairs per expert (int32 [E]), each sorted row's token and each pair's sorted row (int64 [T·k]),
    /// and the pass table of <see cref="GroupedMma"/> for those ends (int32, its size fixed by T·k and E: an entry per
    /// 64-row pass of each expert's rows, then -1; no entries when the pairs are too many for one).</summary>
    internal static (Tensor Ends, Tensor TokenOfRow, Tensor RowOfPair, Tensor Passes) MoeAlign(Tensor experts, int numExperts)
    {
        nint ends, tokenOfRow, rowOfPair, passes;
        Check(Library.MoeAlign(experts.Handle, numExperts, &ends, &tokenOfRow, &rowOfPair, &passes), "MoE expert layout");
        return (Tensor.UnsafeCreateTensor(ends), Tensor.UnsafeCreateTensor(tokenOfRow), Tensor.UnsafeCreateTensor(rowOfPair),
            Tensor.UnsafeCreateTensor(passes));
    }

    /// <summary>RMSNorm of bf16 rows in one kernel, rounded like the op-by-op path: <paramref name="x"/> [T, D] or
    /// [T, G, D] (contiguous inside a token), <paramref name="weight"/> [D] or [G, D]. Returns a contiguous result.</summary>
    internal static Tensor RmsNorm(Tensor x, Tensor weight, double eps)
    {
        nint result;
        Check(Library.RmsNorm(x.Handle, weight.Handle, eps, &result), "RMSNorm");
        return Tensor.UnsafeCreateTensor(result);
    }

    /// <summary>A residual add and the RMSNorm of its sum in one kernel: <paramref name="x"/> and <paramref name="delta"/>
    /// contiguous bf16 [T, D] (D a width <see cref="AddRmsNormTakes"/> holds for), <paramref name="weight"/> [D]. Returns the sum,
    /// rounded as a bf16 add rounds, and its norm, rounded as <see cref="RmsNorm"/> rounds.</summary>
    internal static (Tensor Sum, Tensor Normed) AddRmsNorm(Tensor x, Tensor delta, Tensor weight, double eps)
    {
        nint sum, normed;
        Check(Library.AddRmsNorm(x.Handle, delta.Handle, weight.Handle, eps, &sum, &normed), "residual add + RMSNorm");
        return (Tensor.UnsafeCreateTensor(sum), Tensor.UnsafeCreateTensor(normed));
    }

    /// <summary>Whether <see cref="AddRmsNorm"/> takes rows of <paramref name="width"/> elements (the library's list of
    /// widths: its wide norm kernel's).</summary>
    internal static bool AddRmsNormTakes(long width) => Library.AddRmsNormTakes(width) != 0;

    /// <summary>An attention layer's qk-norm, rotary embedding and K/V cache store in one kernel, rounded as the op path
    /// rounds: <paramref name="qkv"/> [T, (Hq + 2 KV)·D] bf16 (contiguous inside a token), <paramref name="normWeight"/>
    /// [Hq + KV, D] bf16 or null (no qk-norm), <paramref name="cos"/> and <paramref name="sin"/> T·R contiguous fp32
    /// values (<paramref name="rotary"/> = R, even, at most D ≤ 256); with <paramref name="writeRows"/> (int64 [T]) the
    /// rotated K heads and the V heads go to those rows of <paramref name="cacheKeys"/> and <paramref name="cacheValues"/>
    /// ([rows, KV, D] bf16). Returns the normed, rotated Q heads [T, Hq, D], the K heads [T, KV, D] and the V heads
    /// [T, KV, D], each contiguous (as the attention kernels read them: no copies).</summary>
    internal static (Tensor Queries, Tensor Keys, Tensor Values) QkRopeStore(Tensor qkv, Tensor? normWeight, double eps, Tensor cos,
        Tensor sin, int rotary, int queryHeads, int kvHeads, Tensor? writeRows, Tensor? cacheKeys, Tensor? cacheValues)
    {
        nint result;
        Check(Library.QkRopeStore(qkv.Handle, normWeight?.Handle ?? 0, eps, cos.Handle, sin.Handle, rotary, queryHeads, kvHeads,
            writeRows?.Handle ?? 0, cacheKeys?.Handle ?? 0, cacheValues?.Handle ?? 0, &result), "qk-norm, rotary embedding and K/V store");
        using var flat = Tensor.UnsafeCreateTensor(result);
        long tokens = qkv.shape[0], width = qkv.shape[1] / (queryHeads + 2 * kvHeads);
        long queries = tokens * queryHeads * width, keys = tokens * kvHeads * width;
        return (flat.narrow(0, 0, queries).view(tokens, queryHeads, width), flat.narrow(0, queries, keys).view(tokens, kvHeads, width),
            flat.narrow(0, queries + keys, keys).view(tokens, kvHeads, width));
    }

    /// <summary>The greedy proposals of <paramref name="logits"/> [N, V] fp32 or bf16 in one pass: each row's argmax (the
    /// lowest index on ties) into <paramref name="output"/>[0] and its softmax probability into <paramref name="output"/>[1]
    /// ([2, N] fp32, contiguous, on the logits' device). bf16 logits are widened in registers: the bits of the fp32
    /// widening's proposals, without writing or reading that fp32 copy.</summary>
    internal static void GreedyPropose(Tensor logits, Tensor output) =>
        Check(Library.GreedyPropose(logits.Handle, output.Handle), "greedy proposals");

    /// <summary>silu(gate)·up of a fused [R, 2F] bf16 projection in one kernel, rounded as torch's silu and mul_.
    /// Returns [R, F].</summary>
    internal static Tensor SwiGlu(Tensor gateUp)
    {
        nint result;
        Check(Library.SwiGlu(gateUp.Handle, &result), "SwiGLU");
        return Tensor.UnsafeCreateTensor(result);
    }

    /// <summary><paramref name="destination"/> = <paramref name="source"/>: bf16 widened to fp32 with 16-byte loads and
    /// stores (torch's casting copy is not vectorized); both contiguous, of one element count, 16-byte aligned. The same
    /// bits as <c>copy_</c>.</summary>
    internal static void Widen(Tensor source, Tensor destination) => Check(Library.Widen(source.Handle, destination.Handle), "widening bf16 to fp32");

    /// <summary>Each token's weighted sum of its k expert outputs in one kernel: <paramref name="outputs"/> [T·k, H] bf16
    /// in sorted-pair order, <paramref name="rowOfPair"/> int64 [T·k], <paramref name="weights"/> fp32 [T, k] (rounded
    /// to bf16 first, as the op path's cast), plus <paramref name="shared"/> [T, H] bf16 when given. Returns [T, H].</summary>
    internal static Tensor MoeCombine(Tensor outputs, Tensor rowOfPair, Tensor weights, Tensor? shared)
    {
        nint result;
        Check(Library.MoeCombine(outputs.Handle, rowOfPair.Handle, weights.Handle, shared?.Handle ?? 0, &result), "MoE combine");
        return Tensor.UnsafeCreateTensor(result);
    }

    /// <summary>Attention that reads the paged K/V cache in place (one kernel, no gathered copy of the prefix):
    /// <paramref name="queries"/> [B, n, H, D], the new tokens' <paramref name="keys"/> and <paramref name="values"/>
    /// [B, n, KV, D], the layer's cache [rows, KV, D], all bf16; <paramref name="readRows"/> int64 [B·P] (the cache row of
    /// each prefix position), <paramref name="prefixLengths"/> int32 [B] (each request's cached length; keys past it are
    /// padding), <paramref name="newKeyMask"/> bool [B, n, n] (which new keys each new token sees). D is 32, 64 or 128.
    /// Returns [B, n, H, D].</summary>
    internal static Tensor PagedAttention(Tensor queries, Tensor keys, Tensor values, Tensor cacheKeys, Tensor cacheValues,
        Tensor readRows, Tensor prefixLengths, Tensor newKeyMask)
    {
        nint result;
        Check(Library.PagedAttention(queries.Handle, keys.Handle, values.Handle, cacheKeys.Handle, cacheValues.Handle, readRows.Handle,
            prefixLengths.Handle, newKeyMask.Handle, &result), "paged attention");
        return Tensor.UnsafeCreateTensor(result);
    }
}
