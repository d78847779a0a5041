// The RMSNorm of one bf16 row by one warp, with the op-by-op path's rounding: n = bf16(x * rsqrt(mean(x^2) + eps)) in
// fp32, y = bf16(w * n). Shared by rms_norm.cu and qk_rope_store.cu, so that both round alike.
#pragma once
#include <cuda_bf16.h>

namespace dllm_norm {

// Calls emit(i, y_i) for the elements i = lane, lane + 32, ... of the row `in` (width elements) normalised with
// weights `w`. Every lane of the warp must call it.
template <typename Emit>
__device__ __forceinline__ void rms_norm_row(const __nv_bfloat16* __restrict__ in, const __nv_bfloat16* __restrict__ w,
                                             int width, float eps, int lane, Emit&& emit) {
  float sum = 0.0f;
  for (int i = lane; i < width; i += 32) {
    float v = __bfloat162float(in[i]);
    sum = fmaf(v, v, sum);
  }
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, offset);
  const float scale = rsqrtf(sum / (float)width + eps);
  for (int i = lane; i < width; i += 32) {
    __nv_bfloat16 normalized = __float2bfloat16(__bfloat162float(in[i]) * scale);
    emit(i, __float2bfloat16(__bfloat162float(w[i]) * __bfloat162float(normalized)));
  }
}

}  // namespace dllm_norm
