// The elementwise ends of a MoE layer's grouped expert products, each one kernel in place of several ops, rounded as
// the ops round:
// - swiglu: the activation between the gate+up and down products, out[r, i] = bf16(bf16(silu(g)) * u) with
//   g = gate_up[r, i], u = gate_up[r, F + i] and silu(g) = g / (1 + exp(-g)) in fp32 (torch's silu, then mul_);
// - moe_combine: the weighted sum of each token's k expert outputs back in token order, plus the shared expert's
//   output, out[t, h] = bf16(bf16(sum_j bf16(w[t, j]) * o[row_of_pair[t k + j], h]) + shared[t, h]) with the sum in
//   fp32, j in order (torch: the index_select, the weights' cast, a batched matmul, add_; cuBLAS's order of the k
//   products may differ from this one in the last bit of a bf16 output).
// All tensors contiguous, widths multiples of 8 (16-byte vectors of 8 bf16).
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <cstdint>

#include "dependent_launch.cuh"

namespace {

using bf16 = __nv_bfloat16;

union Vector8 {
  uint4 raw;
  bf16 v[8];
};

__global__ void swiglu_kernel(const bf16* __restrict__ gate_up, bf16* __restrict__ out, int64_t rows, int width) {
  dllm_launch::enter_kernel();
  const int vectors = width / 8;
  const int64_t index = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (index >= rows * vectors) return;
  const int64_t row = index / vectors;
  const int i = (int)(index % vectors) * 8;
  Vector8 g, u, o;
  g.raw = __ldg(reinterpret_cast<const uint4*>(gate_up + row * 2 * width + i));
  u.raw = __ldg(reinterpret_cast<const uint4*>(gate_up + row * 2 * width + width + i));
#pragma unroll
  for (int e = 0; e < 8; ++e) {
    const float x = __bfloat162float(g.v[e]);
    const bf16 silu = __float2bfloat16(x / (1.0f + expf(-x)));
    o.v[e] = __float2bfloat16(__fmul_rn(__bfloat162float(silu), __bfloat162float(u.v[e])));
  }
  *reinterpret_cast<uint4*>(out + row * width + i) = o.raw;
}

// One block per token, a thread per 8 columns (looping when the width needs more threads than the block has).
__global__ void moe_combine_kernel(const bf16* __restrict__ outputs, const int64_t* __restrict__ row_of_pair,
                                   const float* __restrict__ weights, const bf16* __restrict__ shared,
                                   bf16* __restrict__ out, int k, int width) {
  dllm_launch::enter_kernel();
  const int64_t token = blockIdx.x;
  for (int i = threadIdx.x * 8; i < width; i += blockDim.x * 8) {
    float acc[8] = {};
    for (int j = 0; j < k; ++j) {
      const float w = __bfloat162float(__float2bfloat16(weights[token * k + j]));
      Vector8 o;
      o.raw = __ldg(reinterpret_cast<const uint4*>(outputs + row_of_pair[token * k + j] * width + i));
#pragma unroll
      for (int e = 0; e < 8; ++e) acc[e] = fmaf(w, __bfloat162float(o.v[e]), acc[e]);
    }
    Vector8 r;
    if (shared != nullptr) {
      Vector8 s;
      s.raw = __ldg(reinterpret_cast<const uint4*>(shared + token * width + i));
#pragma unroll
      for (int e = 0; e < 8; ++e)
        r.v[e] = __float2bfloat16(__fadd_rn(__bfloat162float(__float2bfloat16(acc[e])), __bfloat162float(s.v[e])));
    } else {
#pragma unroll
      for (int e = 0; e < 8; ++e) r.v[e] = __float2bfloat16(acc[e]);
    }
    *reinterpret_cast<uint4*>(out + token * width + i) = r.raw;
  }
}

bool aligned(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

}  // namespace

// Returns 0, a CUDA error code, or -2 when width is not a positive multiple of 8, rows < 0 or a pointer is not 16-byte
// aligned. rows == 0 launches nothing.
extern "C" int dllm_launch_swiglu(const void* gate_up, void* out, int64_t rows, int width, cudaStream_t stream) {
  if (width <= 0 || width % 8 != 0 || rows < 0 || !aligned(gate_up) || !aligned(out)) return -2;
  const int64_t threads = rows * (width / 8);
  if (threads == 0) return 0;
  return (int)dllm_launch::launch(swiglu_kernel, dim3((unsigned)((threads + 255) / 256)), dim3(256), 0, stream,
                                  static_cast<const bf16*>(gate_up), static_cast<bf16*>(out), rows, width);
}

// Returns 0, a CUDA error code, or -2 when width is not a positive multiple of 8, k < 1, tokens < 0 or a bf16 pointer is
// not 16-byte aligned. shared may be null. tokens == 0 launches nothing.
extern "C" int dllm_launch_moe_combine(const void* outputs, const int64_t* row_of_pair, const float* weights, const void* shared,
                                       void* out, int64_t tokens, int k, int width, cudaStream_t stream) {
  if (width <= 0 || width % 8 != 0 || k < 1 || tokens < 0 || tokens > 0x7fffffff || !aligned(outputs) || !aligned(out) ||
      (shared != nullptr && !aligned(shared)))
    return -2;
  if (tokens == 0) return 0;
  const int threads = width / 8 < 256 ? ((width / 8 + 31) / 32) * 32 : 256;
  return (int)dllm_launch::launch(moe_combine_kernel, dim3((unsigned)tokens), dim3(threads), 0, stream,
                                  static_cast<const bf16*>(outputs), row_of_pair, weights, static_cast<const bf16*>(shared),
                                  static_cast<bf16*>(out), k, width);
}
