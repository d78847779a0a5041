// The attention's step between the QKV projection and attention in one kernel, in place of about a dozen ops: the
// per-head RMSNorm of Q and K (qk-norm, optional), the partial NeoX rotary embedding of Q and K, and, when the forward
// writes the K/V cache, the rotated K heads and the V heads stored into the cache rows of the new tokens. Each value is
// rounded as the op-by-op path rounds it (the norm as rms_norm.cu; then r = the normed bf16 value in fp32,
// bf16(r * cos + roll(r) * sin) with a separately rounded product and sum, the sign of rotate-half folded into the sin
// table; the dimensions past the rotary ones pass through), so both paths give the same bits.
//   qkv [T, (Hq + 2 KV) * D] bf16, a token's heads contiguous (token stride in elements): Q heads, K heads, V heads;
//   norm_weight [Hq + KV, D] bf16 or null; cos, sin [T, R] fp32 (R rotary dimensions, even, <= D);
//   out T * (Hq + 2 KV) * D bf16 in three contiguous parts, each as the attention kernels read it (no copies): the
//   normed, rotated Q heads [T, Hq, D], then the K heads [T, KV, D], then the V heads [T, KV, D] as they are;
//   write_rows int64 [T] or null: the cache row of each token; cache_k, cache_v [rows, KV, D] bf16.
// One warp per (token, head) of the Q, K and V heads (a V head's warp only copies), the normed row staged in shared
// memory so the rotation can read any partner dimension. D at most 256.
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <cstdint>

#include "dependent_launch.cuh"
#include "rms_norm_row.cuh"

namespace {

using bf16 = __nv_bfloat16;

constexpr int kWarps = 8;
constexpr int kMaxWidth = 256;

__global__ void qk_rope_store_kernel(const bf16* __restrict__ qkv, int64_t token_stride, const bf16* __restrict__ norm_weight,
                                     float eps, const float* __restrict__ cos, const float* __restrict__ sin, int rotary,
                                     bf16* __restrict__ out, int64_t tokens, int q_heads, int kv_heads, int width,
                                     const int64_t* __restrict__ write_rows, bf16* __restrict__ cache_k,
                                     bf16* __restrict__ cache_v) {
  __shared__ float staged[kWarps][kMaxWidth];
  dllm_launch::enter_kernel();
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int heads = q_heads + 2 * kv_heads, rotated_heads = q_heads + kv_heads;
  const int64_t row = (int64_t)blockIdx.x * kWarps + warp;
  if (row >= tokens * heads) return;
  const int64_t token = row / heads;
  const int head = (int)(row % heads);
  const bf16* in = qkv + token * token_stride + (int64_t)head * width;
  bf16* const out_k = out + tokens * q_heads * width;
  bf16* const out_v = out_k + tokens * kv_heads * width;
  if (head >= rotated_heads) {  // a V head: copied (and stored) as it is
    const int v_head = head - rotated_heads;
    bf16* dst = out_v + (token * kv_heads + v_head) * width;
    bf16* dst_cache = write_rows != nullptr ? cache_v + (write_rows[token] * kv_heads + v_head) * width : nullptr;
    for (int i = lane; i < width; i += 32) {
      const bf16 v = in[i];
      dst[i] = v;
      if (dst_cache != nullptr) dst_cache[i] = v;
    }
    return;
  }
  float* y = staged[warp];
  if (norm_weight != nullptr)
    dllm_norm::rms_norm_row(in, norm_weight + (int64_t)head * width, width, eps, lane,
                            [y](int i, bf16 v) { y[i] = __bfloat162float(v); });
  else
    for (int i = lane; i < width; i += 32) y[i] = __bfloat162float(in[i]);
  __syncwarp();
  const float* c = cos + token * rotary;
  const float* s = sin + token * rotary;
  const int half = rotary / 2;
  bf16* dst = head < q_heads ? out + (token * q_heads + head) * width : out_k + (token * kv_heads + head - q_heads) * width;
  bf16* dst_k = write_rows != nullptr && head >= q_heads
                    ? cache_k + (write_rows[token] * kv_heads + (head - q_heads)) * width
                    : nullptr;
  for (int i = lane; i < width; i += 32) {
    const bf16 v = i < rotary ? __float2bfloat16(__fadd_rn(__fmul_rn(y[i], c[i]), __fmul_rn(y[(i + half) % rotary], s[i])))
                              : __float2bfloat16(y[i]);
    dst[i] = v;
    if (dst_k != nullptr) dst_k[i] = v;
  }
}

}  // namespace

// Returns 0, a CUDA error code, or -2 for an unsupported shape (width above 256 or below 1, rotary odd, negative or
// above width, no query or KV head). tokens == 0 launches nothing.
extern "C" int dllm_launch_qk_rope_store(const void* qkv, int64_t token_stride, const void* norm_weight, float eps,
                                         const float* cos, const float* sin, int rotary, void* out, int64_t tokens,
                                         int q_heads, int kv_heads, int width, const int64_t* write_rows, void* cache_k,
                                         void* cache_v, cudaStream_t stream) {
  if (width < 1 || width > kMaxWidth || rotary < 0 || rotary > width || rotary % 2 != 0 || q_heads < 1 || kv_heads < 1 ||
      tokens < 0)
    return -2;
  const int64_t rows = tokens * (q_heads + 2 * kv_heads);
  if (rows == 0) return 0;
  dim3 grid((unsigned)((rows + kWarps - 1) / kWarps));
  return (int)dllm_launch::launch(qk_rope_store_kernel, grid, dim3(kWarps * 32), 0, stream, static_cast<const bf16*>(qkv),
                                  token_stride, static_cast<const bf16*>(norm_weight), eps, cos, sin, rotary,
                                  static_cast<bf16*>(out), tokens, q_heads, kv_heads, width, write_rows,
                                  static_cast<bf16*>(cache_k), static_cast<bf16*>(cache_v));
}
