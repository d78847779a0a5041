// A grouped matrix-vector kernel for MoE layers with few tokens per expert (a batch-1 denoising step routes
// 32 tokens x 8 experts over 256 experts: ~1.6 tokens per touched expert). At that size the work is reading each
// touched expert's weights once; torch's grouped GEMM reaches ~2 TB/s there, a plain bandwidth-bound kernel more.
//   out[m, n] = sum_k a[m, k] * w[g, n, k]   for rows m in [ends[g-1], ends[g]) of group g
// a [M, K] bf16 row-major, w [G, N, K] bf16 row-major (each expert's rows as stored), ends int32 [G], out [M, N] bf16.
// With a_rows (int64 [M], may be null) row m of the product reads row a_rows[m] of a instead: the gather of the tokens
// into expert order happens in the kernel's loads. fp32 accumulation. K must be a multiple of 8 (16-byte loads).
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <cstdint>

#include "dependent_launch.cuh"

namespace {

// The block's warps, the weight rows a warp reads at once and the unrolling of its loop over K (independent 16-byte
// loads in flight) are compile-time knobs that eng/gpu/kernel-tune.sh varies (-DDLLM_GEMV_WARPS, -DDLLM_GEMV_ROWS,
// -DDLLM_GEMV_UNROLL); the library is built with the defaults.
#ifndef DLLM_GEMV_WARPS
#define DLLM_GEMV_WARPS 8
#endif
#ifndef DLLM_GEMV_ROWS
#define DLLM_GEMV_ROWS 4
#endif
#ifndef DLLM_GEMV_UNROLL
#define DLLM_GEMV_UNROLL 1
#endif
constexpr int kWarps = DLLM_GEMV_WARPS;       // warps per block
constexpr int kRowsPerWarp = DLLM_GEMV_ROWS;  // weight rows a warp reads at once
constexpr int kUnroll = DLLM_GEMV_UNROLL;     // unrolling of the loop over K
constexpr int kRowsPerBlock = kWarps * kRowsPerWarp;
constexpr int kTokens = 4;            // token rows held in shared memory at once

__device__ __forceinline__ void accumulate(const uint4& w, const uint4& x, float& acc) {
  const __nv_bfloat162* w2 = reinterpret_cast<const __nv_bfloat162*>(&w);
  const __nv_bfloat162* x2 = reinterpret_cast<const __nv_bfloat162*>(&x);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    float2 wf = __bfloat1622float2(w2[i]);
    float2 xf = __bfloat1622float2(x2[i]);
    acc = fmaf(wf.x, xf.x, acc);
    acc = fmaf(wf.y, xf.y, acc);
  }
}

__global__ void grouped_gemv_kernel(const __nv_bfloat16* __restrict__ a, const int64_t* __restrict__ a_rows,
                                    const __nv_bfloat16* __restrict__ w, const int* __restrict__ ends,
                                    __nv_bfloat16* __restrict__ out, int N, int K) {
  extern __shared__ uint4 tokens[];  // [kTokens][K / 8]
  dllm_launch::enter_kernel(DLLM_PDL_EARLY_EXPERTS);
  const int g = blockIdx.y;
  const int begin = g == 0 ? 0 : ends[g - 1];
  const int end = ends[g];
  if (begin >= end) return;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int row0 = blockIdx.x * kRowsPerBlock + warp * kRowsPerWarp;
  const int k8 = K / 8;
  const uint4* w_rows[kRowsPerWarp];
#pragma unroll
  for (int r = 0; r < kRowsPerWarp; ++r) {
    int row = min(row0 + r, N - 1);
    w_rows[r] = reinterpret_cast<const uint4*>(w + ((size_t)g * N + row) * K);
  }
  for (int first = begin; first < end; first += kTokens) {
    const int count = min(kTokens, end - first);
    __syncthreads();
    for (int i = threadIdx.x; i < count * k8; i += blockDim.x) {
      const int64_t source = a_rows != nullptr ? __ldg(a_rows + first + i / k8) : first + i / k8;  // the row of a
      tokens[i] = reinterpret_cast<const uint4*>(a + (size_t)source * K)[i % k8];
    }
    __syncthreads();
    float acc[kRowsPerWarp][kTokens] = {};
#pragma unroll kUnroll
    for (int i = lane; i < k8; i += 32) {
      uint4 wv[kRowsPerWarp];
#pragma unroll
      for (int r = 0; r < kRowsPerWarp; ++r) wv[r] = __ldg(w_rows[r] + i);
#pragma unroll
      for (int t = 0; t < kTokens; ++t) {
        if (t < count) {
          uint4 xv = tokens[t * k8 + i];
#pragma unroll
          for (int r = 0; r < kRowsPerWarp; ++r) accumulate(wv[r], xv, acc[r][t]);
        }
      }
    }
#pragma unroll
    for (int r = 0; r < kRowsPerWarp; ++r) {
#pragma unroll
      for (int t = 0; t < kTokens; ++t) {
        if (t >= count) break;  // warp-uniform: no shuffles for absent tokens
        float v = acc[r][t];
#pragma unroll
        for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
        if (lane == 0 && row0 + r < N) out[(size_t)(first + t) * N + row0 + r] = __float2bfloat16(v);
      }
    }
  }
}

}  // namespace

// Returns a cudaError_t (0 = success).
extern "C" int dllm_launch_grouped_gemv(const void* a, const int64_t* a_rows, const void* w, const int* ends, void* out,
                                        int groups, int N, int K, cudaStream_t stream) {
  if (K % 8 != 0) return (int)cudaErrorInvalidValue;
  size_t shared = (size_t)kTokens * K * sizeof(__nv_bfloat16);
  if (shared > 48 * 1024) {
    cudaError_t status = cudaFuncSetAttribute(grouped_gemv_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)shared);
    if (status != cudaSuccess) return (int)status;
  }
  dim3 grid((N + kRowsPerBlock - 1) / kRowsPerBlock, groups);
  return (int)dllm_launch::launch(grouped_gemv_kernel, grid, dim3(kWarps * 32), shared, stream,
                                  static_cast<const __nv_bfloat16*>(a), a_rows, static_cast<const __nv_bfloat16*>(w), ends,
                                  static_cast<__nv_bfloat16*>(out), N, K);
}
