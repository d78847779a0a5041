// bf16 -> fp32 into an existing tensor, 16-byte loads and stores: the lm_head's bf16 logits into the step's fp32 logits
// buffer. torch's casting copy runs its unvectorized kernel (a cast in every element's load and store): 114 µs for the
// 256 x 157,184 logits of eight requests on an H200, about half of the memory's speed. The conversion is exact, so the
// bits are those of the copy.
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <cstdint>

#include "dependent_launch.cuh"

namespace {

__global__ void widen_kernel(const uint4* __restrict__ in, float4* __restrict__ out, int64_t vectors) {
  dllm_launch::enter_kernel();
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < vectors; i += (int64_t)gridDim.x * blockDim.x) {
    const uint4 v = __ldg(in + i);
    const __nv_bfloat16* e = reinterpret_cast<const __nv_bfloat16*>(&v);
    out[2 * i] = make_float4(__bfloat162float(e[0]), __bfloat162float(e[1]), __bfloat162float(e[2]), __bfloat162float(e[3]));
    out[2 * i + 1] = make_float4(__bfloat162float(e[4]), __bfloat162float(e[5]), __bfloat162float(e[6]), __bfloat162float(e[7]));
  }
}

__global__ void widen_tail_kernel(const __nv_bfloat16* __restrict__ in, float* __restrict__ out, int64_t from, int64_t count) {
  dllm_launch::enter_kernel();
  const int64_t i = from + (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < count) out[i] = __bfloat162float(in[i]);
}

}  // namespace

// out[i] = in[i] for count elements (in bf16, out fp32; both 16-byte aligned). Returns 0, a CUDA error, or -2 for
// misaligned pointers.
extern "C" int dllm_launch_widen(const void* in, float* out, int64_t count, int multiprocessors, cudaStream_t stream) {
  if ((reinterpret_cast<uintptr_t>(in) | reinterpret_cast<uintptr_t>(out)) % 16 != 0) return -2;
  if (count == 0) return 0;
  const int64_t vectors = count / 8;
  if (vectors > 0) {
    const int threads = 256;
    const int64_t wanted = (vectors + threads - 1) / threads, cap = (int64_t)multiprocessors * 8;
    const cudaError_t launched = dllm_launch::launch(widen_kernel, dim3((unsigned)(wanted < cap ? wanted : cap)), dim3(threads), 0,
                                                     stream, static_cast<const uint4*>(in), reinterpret_cast<float4*>(out), vectors);
    if (launched != cudaSuccess) return (int)launched;
  }
  if (count % 8 == 0) return 0;
  return (int)dllm_launch::launch(widen_tail_kernel, dim3(1), dim3(8), 0, stream, static_cast<const __nv_bfloat16*>(in), out,
                                  vectors * 8, count);
}
