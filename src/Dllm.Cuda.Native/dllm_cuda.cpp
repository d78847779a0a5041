// libdllm_cuda: the few things TorchSharp cannot do, as C functions on TorchSharp's tensor handles.
//   - CUDA graphs: capture a whole forward issued op by op from C#, replay it with one launch;
//   - torch's grouped GEMM (at::_grouped_mm) for the touched experts of a MoE layer, without a host sync;
//   - kernels of our own: grouped GEMV and a grouped tensor-core product for the touched experts (few and middling
//     rows per expert), the MoE router, the routed pairs' layout by expert, RMSNorm, and attention that reads the
//     paged K/V cache in place.
// A TorchSharp tensor handle is a heap-allocated at::Tensor* (LibTorchSharp's own convention); tensors returned
// here are new at::Tensor objects that C# wraps and disposes like any TorchSharp tensor.
// Built on the CUDA host against the same libtorch TorchSharp loads (build.sh); C# keeps a pure TorchSharp
// fallback when this library is absent.
#include <ATen/core/Tensor.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/ops/_grouped_mm.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_profiler_api.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/mm.h>

#include <algorithm>
#include <exception>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>

namespace {

thread_local std::string last_error;

// Live graphs share one memory pool: graphs are replayed one at a time on one stream, so a capture may reuse the
// scratch memory of earlier captures; only tensors still alive after a capture keep their blocks. The allocator frees
// a pool when its last graph goes, and a freed pool's id cannot be used again: a new id is taken then.
using PoolId = decltype(at::cuda::graph_pool_handle());
std::mutex pool_mutex;
int live_graphs = 0;
PoolId pool_id;

PoolId acquire_pool() {
  std::lock_guard<std::mutex> lock(pool_mutex);
  if (live_graphs == 0) pool_id = at::cuda::graph_pool_handle();
  ++live_graphs;
  return pool_id;
}

void release_pool() {
  std::lock_guard<std::mutex> lock(pool_mutex);
  --live_graphs;
}

// The side stream every capture (and its warm-up) runs on; CUDA cannot capture the legacy default stream.
std::optional<c10::cuda::CUDAStream>& side_stream() {
  static thread_local std::optional<c10::cuda::CUDAStream> stream;
  return stream;
}

// A fork of this thread's work onto a second stream of the current device (dllm_cuda_fork_*): the stream the work came
// from, the fork's stream (from the high-priority pool, so never the side stream or the default one) and the events of
// the two edges, made once per thread and device.
struct Fork {
  std::optional<c10::cuda::CUDAStream> from, stream;
  cudaEvent_t started = nullptr, finished = nullptr;
  bool open = false, joined = true;
};

Fork& fork_of(c10::DeviceIndex device) {
  static thread_local Fork forks[64];
  TORCH_CHECK(device >= 0 && device < 64, "fork: device index ", (int)device, " out of range");
  return forks[device];
}

template <typename F>
int guarded(F&& body) {
  try {
    body();
    return 0;
  } catch (const std::exception& e) {
    last_error = e.what();
  } catch (...) {
    last_error = "unknown C++ exception";
  }
  return -1;
}

// A grouped product of our own kernels: rows ends[g-1]..ends[g] of a [M, K] times w[g]^T, w [G, N, K] (each expert's
// rows as stored; G may exceed the groups of ends, the first ones are used), ends int32 [G], all contiguous, a and w
// bf16. With rows (int64 [M'], may be null) row m of the product is row rows[m] of a (a gather the kernels do in their
// loads; M' rows). Checks the operands, allocates the result [M or M', N] (rows outside every group are left unset) and
// calls launch(a, rows' data or null, w, ends, result, stream) on the current stream of a's device (capturable); launch
// returns 0, a CUDA error, or -2 for shapes the kernel does not take (reported as the message `unsupported`).
template <typename Launch>
void run_grouped(const char* name, const char* unsupported, void* a, void* rows, void* w, void* ends, void** out, Launch&& launch) {
  const auto& x = *static_cast<at::Tensor*>(a);
  const at::Tensor* gathered = static_cast<at::Tensor*>(rows);
  if (gathered != nullptr)
    TORCH_CHECK(gathered->dim() == 1 && gathered->scalar_type() == at::kLong && gathered->is_contiguous() && gathered->device() == x.device(),
                name, ": rows must be contiguous int64 [M] on a's device");
  const auto& weights = *static_cast<at::Tensor*>(w);
  const auto& bounds = *static_cast<at::Tensor*>(ends);
  TORCH_CHECK(x.dim() == 2 && weights.dim() == 3 && bounds.dim() == 1, name, ": a [M, K], w [G, N, K], ends [G]");
  TORCH_CHECK(x.scalar_type() == at::kBFloat16 && weights.scalar_type() == at::kBFloat16, name, ": bf16 only");
  TORCH_CHECK(bounds.scalar_type() == at::kInt, name, ": ends must be int32");
  TORCH_CHECK(x.is_contiguous() && weights.is_contiguous() && bounds.is_contiguous(), name, ": contiguous tensors only");
  TORCH_CHECK(x.is_cuda() && weights.device() == x.device() && bounds.device() == x.device(), name,
              ": a, w and ends must be on one CUDA device");
  TORCH_CHECK(weights.size(2) == x.size(1) && bounds.size(0) <= weights.size(0), name, ": shapes do not match");
  c10::cuda::CUDAGuard device(x.device());  // a layer split puts later layers on other GPUs
  auto result = at::empty({gathered != nullptr ? gathered->size(0) : x.size(0), weights.size(1)}, x.options());
  const int64_t* row_data = gathered != nullptr ? gathered->data_ptr<int64_t>() : nullptr;
  int status = launch(x, row_data, weights, bounds, result, c10::cuda::getCurrentCUDAStream(x.device().index()).stream());
  TORCH_CHECK(status != -2, unsupported, " (N = ", weights.size(1), ", K = ", weights.size(2), ")");
  TORCH_CHECK(status == 0, name, ": kernel launch failed: ", cudaGetErrorString((cudaError_t)status));
  *out = new at::Tensor(std::move(result));
}

// The multiprocessor count of the CUDA device `t` lives on (the kernels size their grids from it).
int multiprocessors_of(const at::Tensor& t) {
  int count = 0;
  C10_CUDA_CHECK(cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, t.device().index()));
  return count;
}

}  // namespace

extern "C" int dllm_launch_grouped_gemv(const void* a, const int64_t* a_rows, const void* w, const int* ends, void* out,
                                        int groups, int N, int K, cudaStream_t stream);

extern "C" int dllm_launch_grouped_mma(const void* a, const int64_t* a_rows, const void* w, const int* ends, const int* pass_table,
                                       int table_entries, void* out, int groups, int N, int K, int M,
                                       cudaStream_t stream);
extern "C" int dllm_grouped_mma_rows_per_pass();

extern "C" int dllm_launch_moe_router(const float* logits, int splits, const float* bias, int tokens, int groups,
                                      int topk_groups, int topk, int normalize, float scaling, int64_t* experts,
                                      float* weights, cudaStream_t stream);
extern "C" int dllm_router_logits_splits(int tokens, int experts, int hidden, int blocks_wanted);
extern "C" int dllm_launch_router_logits(const void* x, const float* gate, float* partial, int tokens, int experts,
                                         int hidden, int splits, cudaStream_t stream);

extern "C" int dllm_launch_moe_align(const int64_t* experts, int pairs, int k, int num_experts, int32_t* ends,
                                     int64_t* token_of_row, int64_t* row_of_pair, int32_t* pass_table,
                                     int table_entries, int rows_per_pass, cudaStream_t stream);
extern "C" int dllm_moe_align_table_entries(int pairs, int num_experts, int rows_per_pass);

extern "C" int dllm_launch_rms_norm(const void* x, const void* weight, void* y, int64_t tokens, int groups, int width,
                                    int64_t token_stride, float eps, cudaStream_t stream);
extern "C" int dllm_add_rms_norm_takes(int64_t width);
extern "C" int dllm_launch_add_rms_norm(const void* x, const void* residual, const void* weight, void* sum, void* y,
                                        int64_t tokens, int width, float eps, cudaStream_t stream);

extern "C" int dllm_launch_qk_rope_store(const void* qkv, int64_t token_stride, const void* norm_weight, float eps,
                                         const float* cos, const float* sin, int rotary, void* out, int64_t tokens,
                                         int q_heads, int kv_heads, int width, const int64_t* write_rows, void* cache_k,
                                         void* cache_v, cudaStream_t stream);

extern "C" int dllm_launch_greedy_propose(const void* logits, int bf16, int64_t rows, int64_t vocab, float* out, cudaStream_t stream);

extern "C" int dllm_launch_swiglu(const void* gate_up, void* out, int64_t rows, int width, cudaStream_t stream);
extern "C" int dllm_launch_moe_combine(const void* outputs, const int64_t* row_of_pair, const float* weights, const void* shared,
                                       void* out, int64_t tokens, int k, int width, cudaStream_t stream);

extern "C" int dllm_launch_widen(const void* in, float* out, int64_t count, int multiprocessors, cudaStream_t stream);

extern "C" int dllm_paged_attention_splits(int batch, int n, int heads, int kv_heads, int prefix, int multiprocessors);
extern "C" int dllm_paged_attention_rows_padded(int n, int heads, int kv_heads);
extern "C" int dllm_launch_paged_attention(const void* q, const void* k_new, const void* v_new, const void* cache_k,
                                           const void* cache_v, const int64_t* read_rows, const int32_t* prefix_len,
                                           const uint8_t* new_mask, void* out, int batch, int n, int heads, int kv_heads,
                                           int head_dim, int prefix, int splits, float* part_o, float* part_m,
                                           float* part_l, cudaStream_t stream);

// The router kernel over logits given as `splits` partial sums [splits, tokens, experts] (fp32, contiguous).
static void route(const at::Tensor& logits, int splits, int64_t tokens, const at::Tensor& bias, int groups, int topk_groups,
                  int topk, int normalize, float scaling, void** experts_out, void** weights_out) {
  TORCH_CHECK(bias.numel() == 32 * groups && bias.scalar_type() == at::kFloat && bias.is_contiguous() &&
                  bias.device() == logits.device(),
              "moe_router: bias must be contiguous fp32 [experts] on the logits' device");
  c10::cuda::CUDAGuard device(logits.device());
  auto experts = at::empty({tokens, topk}, logits.options().dtype(at::kLong));
  auto weights = at::empty({tokens, topk}, logits.options());
  int status = dllm_launch_moe_router(logits.data_ptr<float>(), splits, bias.data_ptr<float>(), (int)tokens, groups,
                                      topk_groups, topk, normalize, scaling, experts.data_ptr<int64_t>(),
                                      weights.data_ptr<float>(), c10::cuda::getCurrentCUDAStream(logits.device().index()).stream());
  TORCH_CHECK(status == 0, "moe_router: kernel launch failed: ", cudaGetErrorString((cudaError_t)status));
  *experts_out = new at::Tensor(std::move(experts));
  *weights_out = new at::Tensor(std::move(weights));
}

// aten::mm.dtype, looked up by name (libtorch 2.8 and later have it): a bf16 product with an fp32 output, which on CUDA
// is cuBLAS's bf16 GEMM on tensor cores with fp32 accumulation and no rounding of the sums to bf16. Null when this
// libtorch has no such overload (then the gate projection keeps its own kernel).
using MmToDtype = at::Tensor(const at::Tensor&, const at::Tensor&, at::ScalarType);
static const c10::TypedOperatorHandle<MmToDtype>* mm_to_dtype() {
  static const c10::TypedOperatorHandle<MmToDtype>* handle = []() -> const c10::TypedOperatorHandle<MmToDtype>* {
    auto op = c10::Dispatcher::singleton().findSchema({"aten::mm", "dtype"});
    if (!op.has_value()) return nullptr;
    try {
      return new c10::TypedOperatorHandle<MmToDtype>(op->typed<MmToDtype>());
    } catch (const std::exception&) {
      return nullptr;  // another signature than this one
    }
  }();
  return handle;
}

extern "C" {

// Version of this C interface; C# refuses a library with another one.
int dllm_cuda_abi_version() { return 22; }

// The message of the last failed call on this thread.
const char* dllm_cuda_last_error() { return last_error.c_str(); }

// Opens (on != 0) or closes the range a profiler started with "profile from start off" records (cudaProfilerStart /
// cudaProfilerStop: ncu --profile-from-start off, nsys --capture-range=cudaProfilerApi); without a profiler, no-ops.
int dllm_cuda_profiler(int on) {
  return guarded([on] { C10_CUDA_CHECK(on ? cudaProfilerStart() : cudaProfilerStop()); });
}

// Makes a pool side stream of the current device the current stream of this thread (after the default stream's
// pending work), so that the ops C# issues next run, or are captured, there.
int dllm_cuda_enter_side_stream() {
  return guarded([] {
    auto& stream = side_stream();
    if (!stream) stream = c10::cuda::getStreamFromPool(/*isHighPriority=*/false);
    c10::cuda::device_synchronize();
    c10::cuda::setCurrentCUDAStream(*stream);
  });
}

// Waits for the side stream and makes the default stream current again.
int dllm_cuda_leave_side_stream() {
  return guarded([] {
    auto& stream = side_stream();
    if (stream) stream->synchronize();
    c10::cuda::setCurrentCUDAStream(c10::cuda::getDefaultCUDAStream());
  });
}

// Forks the work this thread issues next on `device` onto a second stream of that device: that stream first waits for
// what the device's current stream has issued so far, then becomes current. Pair with dllm_cuda_fork_end (back to the first stream,
// the forked work left running beside it) and dllm_cuda_fork_join (the first stream waits for the forked work). Works
// eagerly and inside a graph capture (the events become the graph's edges). One fork at a time per device.
int dllm_cuda_fork_begin(int device) {
  return guarded([device] {
    const auto from = c10::cuda::getCurrentCUDAStream((c10::DeviceIndex)device);
    Fork& fork = fork_of(from.device_index());
    TORCH_CHECK(!fork.open && fork.joined, "fork: the previous fork of this device is not joined");
    if (!fork.stream) {
      fork.stream = c10::cuda::getStreamFromPool(/*isHighPriority=*/true, from.device_index());
      C10_CUDA_CHECK(cudaEventCreateWithFlags(&fork.started, cudaEventDisableTiming));
      C10_CUDA_CHECK(cudaEventCreateWithFlags(&fork.finished, cudaEventDisableTiming));
    }
    C10_CUDA_CHECK(cudaEventRecord(fork.started, from.stream()));
    C10_CUDA_CHECK(cudaStreamWaitEvent(fork.stream->stream(), fork.started, 0));
    fork.from = from;
    fork.open = true;
    fork.joined = false;
    c10::cuda::setCurrentCUDAStream(*fork.stream);
  });
}

// Makes the stream the fork of `device` came from current again; the forked work goes on beside it.
int dllm_cuda_fork_end(int device) {
  return guarded([device] {
    const auto current = c10::cuda::getCurrentCUDAStream((c10::DeviceIndex)device);
    Fork& fork = fork_of(current.device_index());
    TORCH_CHECK(fork.open && current == *fork.stream, "fork: no fork is open on this stream");
    C10_CUDA_CHECK(cudaEventRecord(fork.finished, fork.stream->stream()));
    fork.open = false;
    c10::cuda::setCurrentCUDAStream(*fork.from);
  });
}

// The current stream of `device` (the one the fork came from) waits for the forked work.
int dllm_cuda_fork_join(int device) {
  return guarded([device] {
    const auto current = c10::cuda::getCurrentCUDAStream((c10::DeviceIndex)device);
    Fork& fork = fork_of(current.device_index());
    TORCH_CHECK(!fork.open && !fork.joined && current == *fork.from, "fork: no ended fork to join on this stream");
    C10_CUDA_CHECK(cudaStreamWaitEvent(current.stream(), fork.finished, 0));
    fork.joined = true;
  });
}

// Records *event (created on first use, without timing) on the current stream of the current device: it completes when
// the work issued there so far has. Pair with dllm_cuda_event_wait (the host waits for it) and dllm_cuda_event_destroy.
int dllm_cuda_event_record(void** event) {
  return guarded([event] {
    if (!*event) {
      cudaEvent_t created;
      C10_CUDA_CHECK(cudaEventCreateWithFlags(&created, cudaEventDisableTiming));
      *event = created;
    }
    C10_CUDA_CHECK(cudaEventRecord(static_cast<cudaEvent_t>(*event), c10::cuda::getCurrentCUDAStream().stream()));
  });
}

// The host waits until the work before the event's last record has run (at once when it has, or when never recorded).
int dllm_cuda_event_wait(void* event) {
  return guarded([event] { C10_CUDA_CHECK(cudaEventSynchronize(static_cast<cudaEvent_t>(event))); });
}

// Frees an event of dllm_cuda_event_record.
void dllm_cuda_event_destroy(void* event) {
  if (event) (void)cudaEventDestroy(static_cast<cudaEvent_t>(event));
}

// Starts capturing the work this thread issues into a new graph (call inside enter/leave_side_stream).
int dllm_cuda_graph_begin(void** graph_out) {
  return guarded([graph_out] {
    auto* graph = new at::cuda::CUDAGraph();
    try {
      graph->capture_begin(acquire_pool(), cudaStreamCaptureModeThreadLocal);
    } catch (...) {
      delete graph;
      release_pool();
      throw;
    }
    *graph_out = graph;
  });
}

// Ends the capture and instantiates the graph.
int dllm_cuda_graph_end(void* graph) {
  return guarded([graph] { static_cast<at::cuda::CUDAGraph*>(graph)->capture_end(); });
}

// Replays the graph on the current stream (the default stream, after the inputs were copied in).
int dllm_cuda_graph_replay(void* graph) {
  return guarded([graph] { static_cast<at::cuda::CUDAGraph*>(graph)->replay(); });
}

// Ends a capture that failed part-way (the capture stream leaves capture mode) and frees the graph.
void dllm_cuda_graph_abort(void* graph) {
  auto* g = static_cast<at::cuda::CUDAGraph*>(graph);
  try {
    g->capture_end();
  } catch (...) {
  }
  (void)cudaGetLastError();
  delete g;
  release_pool();
}

// Frees the graph (its scratch memory returns to the shared pool).
void dllm_cuda_graph_destroy(void* graph) {
  delete static_cast<at::cuda::CUDAGraph*>(graph);
  release_pool();
}

// out = grouped GEMM: rows offsets[g-1]..offsets[g] of a [M, K] times b[g] ([G, K, N]); offsets int32 [G].
int dllm_cuda_grouped_mm(void* a, void* b, void* offsets, void** out) {
  return guarded([=] {
    auto result = at::_grouped_mm(*static_cast<at::Tensor*>(a), *static_cast<at::Tensor*>(b),
                                  *static_cast<at::Tensor*>(offsets));
    *out = new at::Tensor(std::move(result));
  });
}

// out = grouped matrix-vector products for few tokens per group (grouped_gemv.cu): rows ends[g-1]..ends[g] of a [M, K]
// times w[g]^T, w [G, N, K] contiguous bf16 (each expert's rows as stored), ends int32 [G]; rows (may be null): int64
// [M'], row m of the product is row rows[m] of a (the tokens gathered into expert order by the kernel's loads). Returns
// [M or M', N] (rows outside every group are left unset). Runs on the current stream (capturable).
int dllm_cuda_grouped_gemv(void* a, void* rows, void* w, void* ends, void** out) {
  return guarded([=] {
    run_grouped("grouped_gemv", "grouped_gemv: unsupported shape", a, rows, w, ends, out,
                [](const at::Tensor& x, const int64_t* row_data, const at::Tensor& weights, const at::Tensor& bounds, at::Tensor& result,
                   cudaStream_t stream) {
                  return dllm_launch_grouped_gemv(x.data_ptr(), row_data, weights.data_ptr(), bounds.data_ptr<int>(), result.data_ptr(),
                                                  (int)bounds.size(0), (int)weights.size(1), (int)weights.size(2), stream);
                });
  });
}

// out = the same grouped product on tensor cores, for 2-64 (and more) tokens per group (grouped_mma.cu); same operands
// and result as dllm_cuda_grouped_gemv. N and K must be multiples of 64. passes (may be null; a table without entries
// counts as none): the pass table of dllm_cuda_moe_align for these ends, int32 on a's device, so that each 64-row pass
// gets a block of its own.
int dllm_cuda_grouped_mma(void* a, void* rows, void* w, void* ends, void* passes, void** out) {
  return guarded([=] {
    const at::Tensor* table = static_cast<at::Tensor*>(passes);
    if (table != nullptr && table->numel() == 0) table = nullptr;
    if (table != nullptr) {
      TORCH_CHECK(table->dim() == 1 && table->scalar_type() == at::kInt && table->is_contiguous() &&
                      table->device() == static_cast<at::Tensor*>(a)->device(),
                  "grouped_mma: the pass table must be contiguous int32 [entries] on a's device");
    }
    run_grouped("grouped_mma",
                "grouped_mma: N and K must be multiples of 64, a and w 16-byte aligned, at most 65535 groups and table entries",
                a, rows, w, ends, out,
                [table](const at::Tensor& x, const int64_t* row_data, const at::Tensor& weights, const at::Tensor& bounds,
                        at::Tensor& result, cudaStream_t stream) {
                  return dllm_launch_grouped_mma(x.data_ptr(), row_data, weights.data_ptr(), bounds.data_ptr<int>(),
                                                 table != nullptr ? table->data_ptr<int>() : nullptr,
                                                 table != nullptr ? (int)table->numel() : 0, result.data_ptr(),
                                                 (int)bounds.size(0), (int)weights.size(1), (int)weights.size(2), (int)result.size(0),
                                                 stream);
                });
  });
}

// The MoE router after the gate projection (moe_router.cu): logits [T, 32 * groups] fp32, bias [32 * groups] fp32.
// Returns the chosen experts [T, topk] int64 and their weights [T, topk] fp32.
// The router's steps after its gate projection, in one kernel (moe_router.cu): logits [T, 32 * groups] fp32 (contiguous),
// bias [32 * groups] fp32. Returns the chosen experts [T, topk] int64 and their weights [T, topk] fp32.
int dllm_cuda_moe_router(void* logits, void* bias, int groups, int topk_groups, int topk, int normalize, float scaling,
                         void** experts_out, void** weights_out) {
  return guarded([=] {
    const auto& scores = *static_cast<at::Tensor*>(logits);
    TORCH_CHECK(scores.dim() == 2 && scores.size(1) == 32 * groups && scores.scalar_type() == at::kFloat && scores.is_contiguous(),
                "moe_router: logits must be contiguous fp32 [T, 32 * groups]");
    route(scores, 1, scores.size(0), *static_cast<at::Tensor*>(bias), groups, topk_groups, topk, normalize, scaling,
          experts_out, weights_out);
  });
}

// The whole router for bf16 hidden states x [T, H] (rows contiguous): the gate projection (gate [32 * groups, H] fp32,
// contiguous) as fp32 partial sums over K ranges (router_logits_kernel, no cast and no cuBLAS call), then the router
// kernel, which adds them in order. Returns what dllm_cuda_moe_router does.
int dllm_cuda_moe_route_hidden(void* x, void* gate, void* bias, int groups, int topk_groups, int topk, int normalize,
                               float scaling, void** experts_out, void** weights_out) {
  return guarded([=] {
    const auto& hidden = *static_cast<at::Tensor*>(x);
    const auto& weight = *static_cast<at::Tensor*>(gate);
    TORCH_CHECK(hidden.dim() == 2 && hidden.scalar_type() == at::kBFloat16 && hidden.is_contiguous(),
                "moe_route_hidden: x must be contiguous bf16 [T, H]");
    TORCH_CHECK(weight.dim() == 2 && weight.size(0) == 32 * groups && weight.size(1) == hidden.size(1) &&
                    weight.scalar_type() == at::kFloat && weight.is_contiguous() && weight.device() == hidden.device(),
                "moe_route_hidden: gate must be contiguous fp32 [32 * groups, H] on x's device");
    c10::cuda::CUDAGuard device(hidden.device());
    const int tokens = (int)hidden.size(0), experts = (int)weight.size(0), width = (int)hidden.size(1);
    const int multiprocessors = multiprocessors_of(hidden);
    const int splits = dllm_router_logits_splits(tokens, experts, width, multiprocessors);
    auto partial = at::empty({splits, tokens, experts}, weight.options());
    int status = dllm_launch_router_logits(hidden.data_ptr(), weight.data_ptr<float>(), partial.data_ptr<float>(), tokens,
                                           experts, width, splits, c10::cuda::getCurrentCUDAStream(hidden.device().index()).stream());
    TORCH_CHECK(status != -2, "moe_route_hidden: experts must be a multiple of 64, H of 16 * ", splits, ", x and gate 16-byte aligned");
    TORCH_CHECK(status == 0, "moe_route_hidden: kernel launch failed: ", cudaGetErrorString((cudaError_t)status));
    route(partial, splits, tokens, *static_cast<at::Tensor*>(bias), groups, topk_groups, topk, normalize, scaling,
          experts_out, weights_out);
  });
}

// Whether dllm_cuda_project_to_float can run (this libtorch has aten::mm.dtype): 1 or 0.
int dllm_cuda_projects_to_float() { return mm_to_dtype() != nullptr ? 1 : 0; }

// out = x · wᵀ in fp32 for bf16 x [T, H] and w [N, H] on one CUDA device (aten::mm.dtype: tensor cores, fp32
// accumulation; a bf16 × bf16 product is exact in fp32, so for bf16 values this is the fp32 projection of their fp32
// casts, summed in cuBLAS's order). Returns a contiguous fp32 [T, N].
int dllm_cuda_project_to_float(void* x, void* w, void** out) {
  return guarded([=] {
    const auto* op = mm_to_dtype();
    TORCH_CHECK(op != nullptr, "project_to_float: this libtorch has no aten::mm.dtype (PyTorch 2.8 or later has it)");
    const auto& a = *static_cast<at::Tensor*>(x);
    const auto& b = *static_cast<at::Tensor*>(w);
    TORCH_CHECK(a.dim() == 2 && b.dim() == 2 && a.size(1) == b.size(1) && a.scalar_type() == at::kBFloat16 &&
                    b.scalar_type() == at::kBFloat16 && a.is_cuda() && a.device() == b.device(),
                "project_to_float: x [T, H] and w [N, H] must be bf16 on one CUDA device");
    c10::cuda::CUDAGuard device(a.device());
    *out = new at::Tensor(op->call(a, b.t(), at::kFloat));
  });
}

// The routed pairs laid out by expert (moe_align.cu), as a stable sort of the pairs by expert would: experts [T, k]
// int64 (values in [0, num_experts)). Returns ends [num_experts] int32 (inclusive cumulative pairs per expert),
// token_of_row [T * k] int64 (each sorted row's token), row_of_pair [T * k] int64 (each pair's sorted row) and the pass
// table of dllm_cuda_grouped_mma for those ends (int32, its size fixed by T * k and num_experts; no entries when the
// pairs are too many for one, then the grouped product runs without).
int dllm_cuda_moe_align(void* experts, int num_experts, void** ends_out, void** token_of_row_out, void** row_of_pair_out,
                        void** passes_out) {
  return guarded([=] {
    const auto& chosen = *static_cast<at::Tensor*>(experts);
    TORCH_CHECK(chosen.dim() == 2 && chosen.scalar_type() == at::kLong && chosen.is_contiguous() && chosen.is_cuda(),
                "moe_align: experts must be contiguous int64 [T, k] on CUDA");
    TORCH_CHECK(num_experts >= 1 && num_experts <= 512, "moe_align: ", num_experts, " experts (1 to 512 supported)");
    c10::cuda::CUDAGuard device(chosen.device());
    const int64_t pairs = chosen.numel();
    TORCH_CHECK(pairs <= INT32_MAX, "moe_align: too many pairs");
    auto ends = at::empty({num_experts}, chosen.options().dtype(at::kInt));
    auto token_of_row = at::empty({pairs}, chosen.options());
    auto row_of_pair = at::empty({pairs}, chosen.options());
    const int rows_per_pass = dllm_grouped_mma_rows_per_pass();
    const int entries = std::max(0, dllm_moe_align_table_entries((int)pairs, num_experts, rows_per_pass));
    auto passes = at::empty({entries}, chosen.options().dtype(at::kInt));
    if (pairs == 0) ends.zero_();
    int status = dllm_launch_moe_align(chosen.data_ptr<int64_t>(), (int)pairs, (int)chosen.size(1), num_experts, ends.data_ptr<int32_t>(),
                                       token_of_row.data_ptr<int64_t>(), row_of_pair.data_ptr<int64_t>(),
                                       entries > 0 ? passes.data_ptr<int32_t>() : nullptr, entries, rows_per_pass,
                                       c10::cuda::getCurrentCUDAStream(chosen.device().index()).stream());
    TORCH_CHECK(status == 0, "moe_align: kernel launch failed: ", status == -2 ? "unsupported shape" : cudaGetErrorString((cudaError_t)status));
    *ends_out = new at::Tensor(std::move(ends));
    *token_of_row_out = new at::Tensor(std::move(token_of_row));
    *row_of_pair_out = new at::Tensor(std::move(row_of_pair));
    *passes_out = new at::Tensor(std::move(passes));
  });
}

// RMSNorm (rms_norm.cu): x [T, D] or [T, G, D] bf16, contiguous inside each token; weight [G, D] or [D] bf16.
// Returns a contiguous tensor of x's shape.
int dllm_cuda_rms_norm(void* x, void* weight, double eps, void** out) {
  return guarded([=] {
    const auto& input = *static_cast<at::Tensor*>(x);
    const auto& w = *static_cast<at::Tensor*>(weight);
    TORCH_CHECK(input.scalar_type() == at::kBFloat16 && w.scalar_type() == at::kBFloat16 && w.is_contiguous(), "rms_norm: bf16 only");
    TORCH_CHECK(input.dim() == 2 || input.dim() == 3, "rms_norm: x must be [T, D] or [T, G, D]");
    int64_t width = input.size(-1), groups = input.dim() == 3 ? input.size(1) : 1;
    TORCH_CHECK(input.stride(-1) == 1 && (input.dim() == 2 || input.stride(1) == width), "rms_norm: rows must be contiguous inside a token");
    TORCH_CHECK(w.numel() == groups * width, "rms_norm: weight must hold G x D values");
    c10::cuda::CUDAGuard device(input.device());
    auto result = at::empty(input.sizes(), input.options());
    int status = dllm_launch_rms_norm(input.data_ptr(), w.data_ptr(), result.data_ptr(), input.size(0), (int)groups, (int)width,
                                      input.stride(0), (float)eps, c10::cuda::getCurrentCUDAStream(input.device().index()).stream());
    TORCH_CHECK(status == 0, "rms_norm: kernel launch failed: ", cudaGetErrorString((cudaError_t)status));
    *out = new at::Tensor(std::move(result));
  });
}

// Whether dllm_cuda_add_rms_norm takes rows of `width` elements (1) or not (0): rms_norm.cu's list of widths.
int dllm_cuda_add_rms_norm_takes(int64_t width) { return dllm_add_rms_norm_takes(width); }

// A residual add and the RMSNorm after it (rms_norm.cu): x, delta [T, D] bf16 contiguous, weight [D] bf16. Returns
// sum = x + delta (rounded as at::add rounds) and RMSNorm(sum), both contiguous [T, D]; -2 from the launch (a width
// dllm_cuda_add_rms_norm_takes refuses) is an error here: callers ask it first.
int dllm_cuda_add_rms_norm(void* x, void* delta, void* weight, double eps, void** sum_out, void** out) {
  return guarded([=] {
    const auto& input = *static_cast<at::Tensor*>(x);
    const auto& add = *static_cast<at::Tensor*>(delta);
    const auto& w = *static_cast<at::Tensor*>(weight);
    TORCH_CHECK(input.scalar_type() == at::kBFloat16 && add.scalar_type() == at::kBFloat16 && w.scalar_type() == at::kBFloat16,
                "add_rms_norm: bf16 only");
    TORCH_CHECK(input.dim() == 2 && input.sizes() == add.sizes() && input.is_contiguous() && add.is_contiguous() && w.is_contiguous(),
                "add_rms_norm: x and delta must be contiguous [T, D] of one shape");
    TORCH_CHECK(w.numel() == input.size(1), "add_rms_norm: weight must hold D values");
    TORCH_CHECK(input.is_cuda() && add.device() == input.device() && w.device() == input.device(),
                "add_rms_norm: x, delta and weight must be on one CUDA device");
    c10::cuda::CUDAGuard device(input.device());
    auto sum = at::empty(input.sizes(), input.options());
    auto result = at::empty(input.sizes(), input.options());
    int status = dllm_launch_add_rms_norm(input.data_ptr(), add.data_ptr(), w.data_ptr(), sum.data_ptr(), result.data_ptr(),
                                          input.size(0), (int)input.size(1), (float)eps,
                                          c10::cuda::getCurrentCUDAStream(input.device().index()).stream());
    TORCH_CHECK(status == 0, "add_rms_norm: kernel launch failed: ", status == -2 ? "unsupported width or alignment" : cudaGetErrorString((cudaError_t)status));
    *sum_out = new at::Tensor(std::move(sum));
    *out = new at::Tensor(std::move(result));
  });
}

// The qk-norm, rotary embedding and K/V cache store of an attention layer in one kernel (qk_rope_store.cu): qkv
// [T, (Hq + 2 KV) * D] bf16 (contiguous inside a token), norm_weight [Hq + KV, D] bf16 or null (no qk-norm), cos/sin
// [T, R] fp32 (any shape of T * R contiguous values), write_rows int64 [T] or null (no store), cache_k/cache_v
// [rows, KV, D] bf16 (ignored without write_rows). Returns T * (Hq + 2 KV) * D bf16 values: the normed, rotated Q heads
// [T, Hq, D], then the K heads [T, KV, D], then the V heads [T, KV, D], each part contiguous.
int dllm_cuda_qk_rope_store(void* qkv, void* norm_weight, double eps, void* cos, void* sin, int rotary, int q_heads,
                            int kv_heads, void* write_rows, void* cache_k, void* cache_v, void** out) {
  return guarded([=] {
    const auto& projected = *static_cast<at::Tensor*>(qkv);
    const auto& cosines = *static_cast<at::Tensor*>(cos);
    const auto& sines = *static_cast<at::Tensor*>(sin);
    TORCH_CHECK(projected.dim() == 2 && projected.scalar_type() == at::kBFloat16 && projected.stride(1) == 1 && projected.is_cuda(),
                "qk_rope_store: qkv must be bf16 [T, (Hq + 2 KV) * D] on CUDA, contiguous inside a token");
    TORCH_CHECK(q_heads >= 1 && kv_heads >= 1 && projected.size(1) % (q_heads + 2 * kv_heads) == 0,
                "qk_rope_store: qkv's width is not (Hq + 2 KV) * D");
    const int64_t tokens = projected.size(0);
    const int width = (int)(projected.size(1) / (q_heads + 2 * kv_heads));
    TORCH_CHECK(cosines.scalar_type() == at::kFloat && sines.scalar_type() == at::kFloat && cosines.is_contiguous() &&
                    sines.is_contiguous() && cosines.numel() == tokens * rotary && sines.numel() == tokens * rotary &&
                    cosines.device() == projected.device() && sines.device() == projected.device(),
                "qk_rope_store: cos and sin must be contiguous fp32 [T, rotary] on qkv's device");
    const at::Tensor* weight = static_cast<at::Tensor*>(norm_weight);
    if (weight != nullptr) {
      TORCH_CHECK(weight->scalar_type() == at::kBFloat16 && weight->is_contiguous() && weight->numel() == (int64_t)(q_heads + kv_heads) * width &&
                      weight->device() == projected.device(),
                  "qk_rope_store: the norm weight must be contiguous bf16 [Hq + KV, D] on qkv's device");
    }
    const at::Tensor* rows = static_cast<at::Tensor*>(write_rows);
    if (rows != nullptr) {
      const auto& keys = *static_cast<at::Tensor*>(cache_k);
      const auto& values = *static_cast<at::Tensor*>(cache_v);
      TORCH_CHECK(rows->scalar_type() == at::kLong && rows->is_contiguous() && rows->numel() == tokens && rows->device() == projected.device(),
                  "qk_rope_store: write_rows must be contiguous int64 [T] on qkv's device");
      TORCH_CHECK(keys.scalar_type() == at::kBFloat16 && values.scalar_type() == at::kBFloat16 && keys.is_contiguous() &&
                      values.is_contiguous() && keys.dim() == 3 && keys.sizes().equals(values.sizes()) && keys.size(1) == kv_heads &&
                      keys.size(2) == width && keys.device() == projected.device() && values.device() == projected.device(),
                  "qk_rope_store: the cache must be contiguous bf16 [rows, KV, D] on qkv's device");
    }
    c10::cuda::CUDAGuard device(projected.device());
    auto result = at::empty({tokens * (q_heads + 2 * kv_heads) * width}, projected.options());
    int status = dllm_launch_qk_rope_store(
        projected.data_ptr(), projected.stride(0), weight != nullptr ? weight->data_ptr() : nullptr, (float)eps,
        cosines.data_ptr<float>(), sines.data_ptr<float>(), rotary, result.data_ptr(), tokens, q_heads, kv_heads, width,
        rows != nullptr ? rows->data_ptr<int64_t>() : nullptr,
        rows != nullptr ? static_cast<at::Tensor*>(cache_k)->data_ptr() : nullptr,
        rows != nullptr ? static_cast<at::Tensor*>(cache_v)->data_ptr() : nullptr,
        c10::cuda::getCurrentCUDAStream(projected.device().index()).stream());
    TORCH_CHECK(status != -2, "qk_rope_store: unsupported shape (D = ", width, ", rotary = ", rotary, "; D at most 256, rotary even, at most D)");
    TORCH_CHECK(status == 0, "qk_rope_store: kernel launch failed: ", cudaGetErrorString((cudaError_t)status));
    *out = new at::Tensor(std::move(result));
  });
}

// The greedy proposals of a step in one pass (greedy_propose.cu): logits [N, V] fp32 or bf16 contiguous (bf16 read as
// it is, giving the bits of its fp32 widening); writes each row's argmax (as fp32) into out[0] and its softmax
// probability into out[1], out [2, N] fp32 contiguous on the same device.
int dllm_cuda_greedy_propose(void* logits, void* out) {
  return guarded([=] {
    const auto& scores = *static_cast<at::Tensor*>(logits);
    auto& proposals = *static_cast<at::Tensor*>(out);
    const bool bf16 = scores.scalar_type() == at::kBFloat16;
    TORCH_CHECK(scores.dim() == 2 && (bf16 || scores.scalar_type() == at::kFloat) && scores.is_contiguous() && scores.is_cuda(),
                "greedy_propose: logits must be contiguous fp32 or bf16 [N, V] on CUDA");
    TORCH_CHECK(proposals.dim() == 2 && proposals.size(0) == 2 && proposals.size(1) == scores.size(0) &&
                    proposals.scalar_type() == at::kFloat && proposals.is_contiguous() && proposals.device() == scores.device(),
                "greedy_propose: out must be contiguous fp32 [2, N] on the logits' device");
    c10::cuda::CUDAGuard device(scores.device());
    int status = dllm_launch_greedy_propose(scores.data_ptr(), bf16 ? 1 : 0, scores.size(0), scores.size(1), proposals.data_ptr<float>(),
                                            c10::cuda::getCurrentCUDAStream(scores.device().index()).stream());
    TORCH_CHECK(status != -2, "greedy_propose: unsupported vocabulary (", scores.size(1), "; 1 to 2^24)");
    TORCH_CHECK(status == 0, "greedy_propose: kernel launch failed: ", cudaGetErrorString((cudaError_t)status));
  });
}

// out = x · wᵀ, written in place (at::mm_out: the GEMM F.linear runs for a 2-D input without bias, into out's memory
// instead of a new tensor): x [T, H], w [N, H], out [T, N] contiguous, of one dtype, on one CUDA device. The lm_head
// writes a step's logits straight into the buffer its CUDA graph shares with the others.
int dllm_cuda_project_into(void* x, void* w, void* out) {
  return guarded([=] {
    const auto& a = *static_cast<at::Tensor*>(x);
    const auto& b = *static_cast<at::Tensor*>(w);
    auto& c = *static_cast<at::Tensor*>(out);
    TORCH_CHECK(a.dim() == 2 && b.dim() == 2 && c.dim() == 2 && a.size(1) == b.size(1) && c.size(0) == a.size(0) &&
                    c.size(1) == b.size(0),
                "project_into: x [T, H], w [N, H] and out [T, N] expected, got ", a.sizes(), ", ", b.sizes(), " and ", c.sizes());
    TORCH_CHECK(a.scalar_type() == b.scalar_type() && c.scalar_type() == a.scalar_type() && c.is_contiguous() && a.is_cuda() &&
                    b.device() == a.device() && c.device() == a.device(),
                "project_into: x, w and out must be of one dtype on one CUDA device, out contiguous");
    c10::cuda::CUDAGuard device(a.device());
    at::mm_out(c, a, b.t());
  });
}

// SwiGLU of a fused gate+up projection (moe_combine.cu): gate_up [R, 2F] bf16 contiguous. Returns [R, F] bf16,
// silu(gate) * up rounded as torch's silu and mul_.
int dllm_cuda_swiglu(void* gate_up, void** out) {
  return guarded([=] {
    const auto& projected = *static_cast<at::Tensor*>(gate_up);
    TORCH_CHECK(projected.dim() == 2 && projected.scalar_type() == at::kBFloat16 && projected.is_contiguous() && projected.is_cuda() &&
                    projected.size(1) % 16 == 0,
                "swiglu: gate_up must be contiguous bf16 [R, 2F] on CUDA, F a multiple of 8");
    c10::cuda::CUDAGuard device(projected.device());
    auto result = at::empty({projected.size(0), projected.size(1) / 2}, projected.options());
    int status = dllm_launch_swiglu(projected.data_ptr(), result.data_ptr(), projected.size(0), (int)(projected.size(1) / 2),
                                    c10::cuda::getCurrentCUDAStream(projected.device().index()).stream());
    TORCH_CHECK(status == 0, "swiglu: kernel launch failed: ", status == -2 ? "unsupported shape or alignment" : cudaGetErrorString((cudaError_t)status));
    *out = new at::Tensor(std::move(result));
  });
}

// dst = src, bf16 widened to fp32 (widen.cu): src bf16 and dst fp32 contiguous, of one element count, on one device.
int dllm_cuda_widen(void* src, void* dst) {
  return guarded([=] {
    const auto& in = *static_cast<at::Tensor*>(src);
    const auto& out = *static_cast<at::Tensor*>(dst);
    TORCH_CHECK(in.scalar_type() == at::kBFloat16 && out.scalar_type() == at::kFloat && in.is_contiguous() && out.is_contiguous() &&
                    in.numel() == out.numel() && in.is_cuda() && in.device() == out.device(),
                "widen: src must be contiguous bf16 and dst contiguous fp32 of as many elements, on one CUDA device");
    c10::cuda::CUDAGuard device(in.device());
    const int multiprocessors = multiprocessors_of(in);
    int status = dllm_launch_widen(in.data_ptr(), out.data_ptr<float>(), in.numel(), multiprocessors,
                                   c10::cuda::getCurrentCUDAStream(in.device().index()).stream());
    TORCH_CHECK(status == 0, "widen: kernel launch failed: ", status == -2 ? "src and dst must be 16-byte aligned" : cudaGetErrorString((cudaError_t)status));
  });
}

// The weighted sum of each token's k expert outputs (moe_combine.cu): outputs [T * k, H] bf16 (sorted pairs),
// row_of_pair int64 [T * k], weights fp32 [T, k], shared bf16 [T, H] or null (added after the sum), all contiguous on
// one device. Returns [T, H] bf16.
int dllm_cuda_moe_combine(void* outputs, void* row_of_pair, void* weights, void* shared, void** out) {
  return guarded([=] {
    const auto& pairs = *static_cast<at::Tensor*>(outputs);
    const auto& rows = *static_cast<at::Tensor*>(row_of_pair);
    const auto& w = *static_cast<at::Tensor*>(weights);
    const at::Tensor* added = static_cast<at::Tensor*>(shared);
    TORCH_CHECK(pairs.dim() == 2 && pairs.scalar_type() == at::kBFloat16 && pairs.is_contiguous() && pairs.is_cuda(),
                "moe_combine: outputs must be contiguous bf16 [T * k, H] on CUDA");
    TORCH_CHECK(w.dim() == 2 && w.scalar_type() == at::kFloat && w.is_contiguous() && w.device() == pairs.device() &&
                    w.numel() == pairs.size(0),
                "moe_combine: weights must be contiguous fp32 [T, k] with T * k = the outputs' rows");
    TORCH_CHECK(rows.scalar_type() == at::kLong && rows.is_contiguous() && rows.numel() == pairs.size(0) && rows.device() == pairs.device(),
                "moe_combine: row_of_pair must be contiguous int64 [T * k]");
    const int64_t tokens = w.size(0), width = pairs.size(1);
    if (added != nullptr) {
      TORCH_CHECK(added->scalar_type() == at::kBFloat16 && added->is_contiguous() && added->device() == pairs.device() &&
                      added->dim() == 2 && added->size(0) == tokens && added->size(1) == width,
                  "moe_combine: shared must be contiguous bf16 [T, H]");
    }
    c10::cuda::CUDAGuard device(pairs.device());
    auto result = at::empty({tokens, width}, pairs.options());
    int status = dllm_launch_moe_combine(pairs.data_ptr(), rows.data_ptr<int64_t>(), w.data_ptr<float>(),
                                         added != nullptr ? added->data_ptr() : nullptr, result.data_ptr(), tokens, (int)w.size(1),
                                         (int)width, c10::cuda::getCurrentCUDAStream(pairs.device().index()).stream());
    TORCH_CHECK(status == 0, "moe_combine: kernel launch failed: ", status == -2 ? "unsupported shape or alignment" : cudaGetErrorString((cudaError_t)status));
    *out = new at::Tensor(std::move(result));
  });
}

// Attention over the paged cache in place (paged_attention.cu): q [B, n, H, D], k/v of the new tokens [B, n, KV, D],
// the layer's cache K/V [rows, KV, D], all bf16; read_rows int64 [B * P] (cache row of each prefix position, P the
// padded prefix), prefix_len int32 [B] (each request's cached length), new_mask bool/uint8 [B, n, n]. Returns
// [B, n, H, D] bf16. D must be 32, 64 or 128.
int dllm_cuda_paged_attention(void* q, void* k_new, void* v_new, void* cache_k, void* cache_v, void* read_rows,
                              void* prefix_len, void* new_mask, void** out) {
  return guarded([=] {
    auto queries = static_cast<at::Tensor*>(q)->contiguous();
    auto keys = static_cast<at::Tensor*>(k_new)->contiguous();
    auto values = static_cast<at::Tensor*>(v_new)->contiguous();
    const auto& ck = *static_cast<at::Tensor*>(cache_k);
    const auto& cv = *static_cast<at::Tensor*>(cache_v);
    const auto& rows = *static_cast<at::Tensor*>(read_rows);
    const auto& lengths = *static_cast<at::Tensor*>(prefix_len);
    const auto& mask = *static_cast<at::Tensor*>(new_mask);
    TORCH_CHECK(queries.dim() == 4 && keys.dim() == 4 && values.sizes() == keys.sizes(), "paged_attention: q must be [B, n, H, D], k and v [B, n, KV, D]");
    const int64_t batch = queries.size(0), n = queries.size(1), heads = queries.size(2), dim = queries.size(3), kv = keys.size(2);
    TORCH_CHECK(keys.size(0) == batch && keys.size(1) == n && keys.size(3) == dim && heads % kv == 0, "paged_attention: q and k/v disagree");
    TORCH_CHECK(dim == 32 || dim == 64 || dim == 128, "paged_attention: head dimension ", dim, " has no kernel (32, 64, 128)");
    for (const at::Tensor* t : std::initializer_list<const at::Tensor*>{&queries, &keys, &values, &ck, &cv})
      TORCH_CHECK(t->scalar_type() == at::kBFloat16 && t->is_cuda(), "paged_attention: q, k, v and the cache must be bf16 on CUDA");
    TORCH_CHECK(ck.is_contiguous() && cv.is_contiguous() && ck.dim() == 3 && ck.size(1) == kv && ck.size(2) == dim && cv.sizes() == ck.sizes(),
                "paged_attention: the cache K/V must be contiguous [rows, KV, D]");
    TORCH_CHECK(rows.scalar_type() == at::kLong && rows.is_contiguous() && rows.numel() % batch == 0, "paged_attention: read_rows must be contiguous int64 [B * P]");
    TORCH_CHECK(lengths.scalar_type() == at::kInt && lengths.is_contiguous() && lengths.numel() == batch, "paged_attention: prefix_len must be contiguous int32 [B]");
    TORCH_CHECK((mask.scalar_type() == at::kBool || mask.scalar_type() == at::kByte) && mask.is_contiguous() && mask.numel() == batch * n * n,
                "paged_attention: new_mask must be contiguous bool [B, n, n]");
    c10::cuda::CUDAGuard device(queries.device());
    auto result = at::empty(queries.sizes(), queries.options());
    const int prefix = (int)(rows.numel() / batch);
    const int multiprocessors = multiprocessors_of(queries);
    const int splits = dllm_paged_attention_splits((int)batch, (int)n, (int)heads, (int)kv, prefix, multiprocessors);
    at::Tensor part_o, part_m, part_l;
    if (splits > 1) {
      const int64_t rows_padded = dllm_paged_attention_rows_padded((int)n, (int)heads, (int)kv);
      auto fp32 = queries.options().dtype(at::kFloat);
      part_o = at::empty({batch, kv, splits, rows_padded, dim}, fp32);
      part_m = at::empty({batch, kv, splits, rows_padded}, fp32);
      part_l = at::empty({batch, kv, splits, rows_padded}, fp32);
    }
    int status = dllm_launch_paged_attention(queries.data_ptr(), keys.data_ptr(), values.data_ptr(), ck.data_ptr(), cv.data_ptr(),
                                             rows.data_ptr<int64_t>(), lengths.data_ptr<int32_t>(),
                                             static_cast<const uint8_t*>(mask.data_ptr()), result.data_ptr(), (int)batch, (int)n,
                                             (int)heads, (int)kv, (int)dim, prefix, splits,
                                             splits > 1 ? part_o.data_ptr<float>() : nullptr, splits > 1 ? part_m.data_ptr<float>() : nullptr,
                                             splits > 1 ? part_l.data_ptr<float>() : nullptr,
                                             c10::cuda::getCurrentCUDAStream(queries.device().index()).stream());
    TORCH_CHECK(status == 0, "paged_attention: kernel launch failed: ", status == -2 ? "no kernel for this head dimension" : cudaGetErrorString((cudaError_t)status));
    *out = new at::Tensor(std::move(result));
  });
}

}  // extern "C"
