// RMSNorm of bf16 rows in one kernel (one warp per row) instead of eight ops, with the same rounding as the op-by-op
// path: n = bf16(x * rsqrt(mean(x^2) + eps)) in fp32, y = bf16(w * n).
// x [T, G, D] with row stride (elements) between tokens, contiguous inside a token's G rows of D; weight [G, D]
// (row g of every token uses weight row g: G = 1 for a layer norm, G = heads for the joint q/k norm); y contiguous.
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <cstdint>

#include "rms_norm_row.cuh"

namespace {

constexpr int kWarps = 8;

__global__ void rms_norm_kernel(const __nv_bfloat16* __restrict__ x, const __nv_bfloat16* __restrict__ weight,
                                __nv_bfloat16* __restrict__ y, int64_t tokens, int groups, int width, int64_t token_stride,
                                float eps) {
  const int64_t row = (int64_t)blockIdx.x * kWarps + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= tokens * groups) return;
  const int64_t token = row / groups;
  const int group = (int)(row % groups);
  const __nv_bfloat16* in = x + token * token_stride + (int64_t)group * width;
  __nv_bfloat16* out = y + row * width;
  dllm_norm::rms_norm_row(in, weight + (int64_t)group * width, width, eps, lane,
                          [out](int i, __nv_bfloat16 v) { out[i] = v; });
}

}  // namespace

extern "C" int dllm_launch_rms_norm(const void* x, const void* weight, void* y, int64_t tokens, int groups, int width,
                                    int64_t token_stride, float eps, cudaStream_t stream) {
  const int64_t rows = tokens * groups;
  if (rows == 0) return 0;
  dim3 grid((unsigned)((rows + kWarps - 1) / kWarps));
  rms_norm_kernel<<<grid, kWarps * 32, 0, stream>>>(static_cast<const __nv_bfloat16*>(x), static_cast<const __nv_bfloat16*>(weight),
                                                    static_cast<__nv_bfloat16*>(y), tokens, groups, width, token_stride, eps);
  return (int)cudaGetLastError();
}
