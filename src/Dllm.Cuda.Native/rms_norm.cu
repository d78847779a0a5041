// RMSNorm of bf16 rows in one kernel (one warp per row) instead of eight ops, with the same rounding as the op-by-op
// path: n = bf16(x * rsqrt(mean(x^2) + eps)) in fp32, y = bf16(w * n).
// x [T, G, D] with row stride (elements) between tokens, contiguous inside a token's G rows of D; weight [G, D]
// (row g of every token uses weight row g: G = 1 for a layer norm, G = heads for the joint q/k norm); y contiguous.
// Rows of 256, 512, ..., 4096 elements on 16-byte boundaries (the hidden states) take the wide kernel: a lane loads its
// elements as 16-byte vectors, all at once, and keeps them in registers for the second pass, so a row costs two
// round trips to memory instead of one per 32 elements (the row kernel's loop waits for each load before the next:
// 13 µs a call for 2048-wide rows on an H200, at any row count). Its sum of squares adds in another order, so it may
// differ from the row kernel's in the last bit of the scale.
// dllm_launch_add_rms_norm fuses a pre-norm layer's residual add in (the wide kernel only): it writes sum = bf16(x + r),
// the next residual, and normalises that sum, where an add kernel wrote it and the norm read it back.
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <cstdint>

#include "dependent_launch.cuh"
#include "rms_norm_row.cuh"

namespace {

constexpr int kWarps = 8;

__global__ void rms_norm_kernel(const __nv_bfloat16* __restrict__ x, const __nv_bfloat16* __restrict__ weight,
                                __nv_bfloat16* __restrict__ y, int64_t tokens, int groups, int width, int64_t token_stride,
                                float eps) {
  dllm_launch::enter_kernel();
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

using bf16 = __nv_bfloat16;

// kChunks 16-byte vectors (8 elements each) a lane: rows of kChunks * 256 elements. With `residual` (then groups == 1
// and token_stride == the width), the row normalised is bf16(x + residual), rounded as torch's bf16 add rounds, and is
// written to `sum` too: a pre-norm layer's residual add and its norm in one kernel.
template <int kChunks>
__global__ void rms_norm_wide_kernel(const bf16* __restrict__ x, const bf16* __restrict__ residual, bf16* __restrict__ sum_out,
                                     const bf16* __restrict__ weight, bf16* __restrict__ y, int64_t tokens, int groups,
                                     int64_t token_stride, float eps) {
  constexpr int kWidth = kChunks * 256;
  dllm_launch::enter_kernel();
  const int64_t row = (int64_t)blockIdx.x * kWarps + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= tokens * groups) return;
  const int64_t token = row / groups;
  const int group = (int)(row % groups);
  const uint4* in = reinterpret_cast<const uint4*>(x + token * token_stride + (int64_t)group * kWidth);
  uint4 v[kChunks];
#pragma unroll
  for (int c = 0; c < kChunks; ++c) v[c] = __ldg(in + c * 32 + lane);
  if (residual != nullptr) {
    const uint4* add = reinterpret_cast<const uint4*>(residual + row * kWidth);
    uint4* sums = reinterpret_cast<uint4*>(sum_out + row * kWidth);
#pragma unroll
    for (int c = 0; c < kChunks; ++c) {
      const uint4 r = __ldg(add + c * 32 + lane);
      bf16* e = reinterpret_cast<bf16*>(&v[c]);
      const bf16* re = reinterpret_cast<const bf16*>(&r);
#pragma unroll
      for (int j = 0; j < 8; ++j) e[j] = __float2bfloat16(__bfloat162float(e[j]) + __bfloat162float(re[j]));
      sums[c * 32 + lane] = v[c];
    }
  }
  float sum = 0.0f;
#pragma unroll
  for (int c = 0; c < kChunks; ++c) {
    const bf16* e = reinterpret_cast<const bf16*>(&v[c]);
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const float f = __bfloat162float(e[j]);
      sum = fmaf(f, f, sum);
    }
  }
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, offset);
  const float scale = rsqrtf(sum / (float)kWidth + eps);
  const uint4* w = reinterpret_cast<const uint4*>(weight + (int64_t)group * kWidth);
  uint4* out = reinterpret_cast<uint4*>(y + row * kWidth);
#pragma unroll
  for (int c = 0; c < kChunks; ++c) {
    const uint4 wv = __ldg(w + c * 32 + lane);
    const bf16* e = reinterpret_cast<const bf16*>(&v[c]);
    const bf16* we = reinterpret_cast<const bf16*>(&wv);
    uint4 o;
    bf16* oe = reinterpret_cast<bf16*>(&o);
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const bf16 normalized = __float2bfloat16(__bfloat162float(e[j]) * scale);
      oe[j] = __float2bfloat16(__bfloat162float(we[j]) * __bfloat162float(normalized));
    }
    out[c * 32 + lane] = o;
  }
}

template <int kChunks>
cudaError_t launch_wide(const void* x, const void* residual, void* sum, const void* weight, void* y, int64_t tokens, int groups,
                        int64_t token_stride, float eps, dim3 grid, cudaStream_t stream) {
  return dllm_launch::launch(rms_norm_wide_kernel<kChunks>, grid, dim3(kWarps * 32), 0, stream, static_cast<const bf16*>(x),
                             static_cast<const bf16*>(residual), static_cast<bf16*>(sum), static_cast<const bf16*>(weight),
                             static_cast<bf16*>(y), tokens, groups, token_stride, eps);
}

// Whether the wide kernel takes rows of `width` elements: 256, 512, 1024, 2048 or 4096 (the one list of them).
bool wide_width(int width) { return width == 256 || width == 512 || width == 1024 || width == 2048 || width == 4096; }

// The wide kernel for rows of `width` elements (wide_width(width) holds).
cudaError_t launch_wide_for(int width, const void* x, const void* residual, void* sum, const void* weight, void* y,
                            int64_t tokens, int groups, int64_t token_stride, float eps, dim3 grid, cudaStream_t stream) {
  switch (width) {
    case 256: return launch_wide<1>(x, residual, sum, weight, y, tokens, groups, token_stride, eps, grid, stream);
    case 512: return launch_wide<2>(x, residual, sum, weight, y, tokens, groups, token_stride, eps, grid, stream);
    case 1024: return launch_wide<4>(x, residual, sum, weight, y, tokens, groups, token_stride, eps, grid, stream);
    case 2048: return launch_wide<8>(x, residual, sum, weight, y, tokens, groups, token_stride, eps, grid, stream);
    default: return launch_wide<16>(x, residual, sum, weight, y, tokens, groups, token_stride, eps, grid, stream);
  }
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

}  // namespace

extern "C" int dllm_launch_rms_norm(const void* x, const void* weight, void* y, int64_t tokens, int groups, int width,
                                    int64_t token_stride, float eps, cudaStream_t stream) {
  const int64_t rows = tokens * groups;
  if (rows == 0) return 0;
  dim3 grid((unsigned)((rows + kWarps - 1) / kWarps));
  const bool aligned = aligned16(x) && aligned16(weight) && aligned16(y) && (token_stride * 2) % 16 == 0;
  if (aligned && wide_width(width))
    return (int)launch_wide_for(width, x, nullptr, nullptr, weight, y, tokens, groups, token_stride, eps, grid, stream);
  return (int)dllm_launch::launch(rms_norm_kernel, grid, dim3(kWarps * 32), 0, stream, static_cast<const __nv_bfloat16*>(x),
                                  static_cast<const __nv_bfloat16*>(weight), static_cast<__nv_bfloat16*>(y), tokens, groups,
                                  width, token_stride, eps);
}

// Whether dllm_launch_add_rms_norm takes rows of `width` elements (1) or not (0).
extern "C" int dllm_add_rms_norm_takes(int64_t width) { return (int64_t)(int)width == width && wide_width((int)width) ? 1 : 0; }

// sum = bf16(x + residual) and y = RMSNorm(sum) of contiguous [tokens, width] bf16 rows in one kernel. Returns 0, a CUDA
// error code, or -2 when the rows are not the wide kernel's (dllm_add_rms_norm_takes; 16-byte aligned).
extern "C" int dllm_launch_add_rms_norm(const void* x, const void* residual, const void* weight, void* sum, void* y,
                                        int64_t tokens, int width, float eps, cudaStream_t stream) {
  if (!(aligned16(x) && aligned16(residual) && aligned16(weight) && aligned16(sum) && aligned16(y))) return -2;
  if (!wide_width(width)) return -2;
  if (tokens == 0) return 0;
  dim3 grid((unsigned)((tokens + kWarps - 1) / kWarps));
  return (int)launch_wide_for(width, x, residual, sum, weight, y, tokens, 1, width, eps, grid, stream);
}
