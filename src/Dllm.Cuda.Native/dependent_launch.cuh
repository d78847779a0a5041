// Programmatic dependent launch (sm_90 and up), shared by every kernel of the native piece.
//
// A kernel launched with `launch` below may be started by the GPU before the kernel ahead of it on its stream has
// finished: its blocks are placed on the SMs that kernel's last blocks leave free, while that kernel still runs, so
// the launch and the placement of the blocks overlap the previous kernel's tail instead of following it. Each kernel
// therefore begins with `wait_for_previous_kernel()` (griddepcontrol.wait: returns once the kernel ahead has
// completed and its writes are visible), before it reads or writes anything, and then (all but the expert kernels,
// below) calls `start_next_kernel()` (griddepcontrol.launch_dependents), which lets the kernel after it be launched
// once all of its own blocks have got that far. Both are no-ops for a kernel launched without the attribute, and below sm_90.
//
// Every kernel waits before anything else, so the order of effects is the stream's order whatever runs early: a kernel
// completes only after the one ahead of it has, and one that never waits (a library's kernel) is launched the usual way.
// Stream capture records the attribute as a programmatic edge of the CUDA graph, so replays overlap the same way.
//
// DLLM_CUDA_PDL=0 in the environment (read once) launches every kernel the usual way: the before of a measurement.
#pragma once
#include <cuda_runtime.h>
#include <atomic>
#include <cstdlib>
#include <utility>

namespace dllm_launch {

__device__ __forceinline__ void wait_for_previous_kernel() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;\n" ::: "memory");
#endif
}

__device__ __forceinline__ void start_next_kernel() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory");
#endif
}

// The expert kernels (grouped_gemv.cu, grouped_mma.cu) do not let the kernel after them start early. They run for
// 50-300 us in several waves; started early, the next kernel's blocks sat on the SMs through their last wave, and the
// step at batch 4 (H200, 1,024 prefix) took 9.51-9.60 ms against 9.40 launched the usual way and 9.46-9.47 without the
// experts' early start (batch 1: 6.24, 6.32 and 6.17). With the shared expert on the main stream (--shared-overlap
// false) the loss at batch 4 was gone, so those blocks most likely held SMs that the shared expert's kernels on the
// second stream wanted. The kernel after an expert kernel is launched as the expert kernel's blocks exit.
// Compile-time knobs of a measurement: DLLM_PDL_TRIGGER=0 leaves out every explicit start_next_kernel;
// DLLM_PDL_EARLY_EXPERTS=1 puts it back into the expert kernels.
#ifndef DLLM_PDL_TRIGGER
#define DLLM_PDL_TRIGGER 1
#endif
#ifndef DLLM_PDL_EARLY_EXPERTS
#define DLLM_PDL_EARLY_EXPERTS 0
#endif

// Both, at a kernel's start (the trigger unless `trigger` is false).
__device__ __forceinline__ void enter_kernel(bool trigger = true) {
  wait_for_previous_kernel();
  if (DLLM_PDL_TRIGGER && trigger) start_next_kernel();
}

// Whether kernels launch as programmatic dependents on the current device: unless DLLM_CUDA_PDL is 0, on a device of
// compute capability 9.0 and up (the attribute's; older ones launch the usual way, and the kernels' griddepcontrol
// compiles to nothing for them). The capability is asked once a device.
inline bool dependent_launches() {
  static const bool allowed = [] {
    const char* value = std::getenv("DLLM_CUDA_PDL");
    return value == nullptr || value[0] != '0';
  }();
  if (!allowed) return false;
  constexpr int kDevices = 64;
  static std::atomic<int> known[kDevices];  // 0: not asked yet, 1: takes them, 2: does not
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess || device < 0 || device >= kDevices) return false;
  int state = known[device].load(std::memory_order_relaxed);
  if (state == 0) {
    int major = 0;
    const bool asked = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) == cudaSuccess;
    state = asked && major >= 9 ? 1 : 2;
    known[device].store(state, std::memory_order_relaxed);
  }
  return state == 1;
}

// kernel<<<grid, block, shared, stream>>>(args...), as a programmatic dependent of the kernel ahead of it on the
// stream (unless dependent_launches() says otherwise). Returns the launch's error.
template <typename... Params, typename... Args>
cudaError_t launch(void (*kernel)(Params...), dim3 grid, dim3 block, size_t shared, cudaStream_t stream, Args&&... args) {
  cudaLaunchAttribute attribute{};
  attribute.id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attribute.val.programmaticStreamSerializationAllowed = 1;
  cudaLaunchConfig_t config{};
  config.gridDim = grid;
  config.blockDim = block;
  config.dynamicSmemBytes = shared;
  config.stream = stream;
  config.attrs = &attribute;
  config.numAttrs = dependent_launches() ? 1 : 0;
  return cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...);
}

}  // namespace dllm_launch
