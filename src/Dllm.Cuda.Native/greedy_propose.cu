// The greedy proposals of a diffusion step in one pass over the logits, in place of torch's max, logsumexp, subtraction
// and exp (four reductions and element-wise kernels, three reads of the [rows, V] fp32 logits): for each row, the token
// = the index of the largest logit (the lowest such index on ties, as torch.max) and its confidence = its softmax
// probability, exp(max - (log(sum exp(x - max)) + max)) as torch computes it from logsumexp. The sum's order differs
// from torch's, so a confidence may differ from the op path's in its last bits; the token does not.
//   logits [rows, V] fp32 or bf16 contiguous (four at a time, as float4 or as four bf16 in 8 bytes, when V % 4 == 0 and
//   the rows are aligned to that, else one by one); bf16 logits are widened in registers, and the elements a thread
//   sees are the same for both types, so bf16 logits give exactly the bits their fp32 widening gives (the lm_head's
//   bf16 output is read as it is: no fp32 copy of the [rows, V] logits is written or read);
//   out [2, rows] fp32: row 0 the tokens (exact: V <= 2^24), row 1 the confidences (a row of -inf only: token 0,
//   confidence 0).
// One block of 1024 threads a row: each thread keeps a running (max, index, sum of exp(x - max)) over a strided share of
// the row, read as float4, and the block combines them (warp shuffles, then one warp over the warps' results).
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <cstdint>

#include "dependent_launch.cuh"

namespace {

constexpr int kThreads = 1024;

struct Running {
  float max;
  int index;
  float sum;  // of exp(x - max) over the values seen
};

__device__ __forceinline__ void see(Running& r, float x, int i) {
  if (x > r.max) {
    r.sum = r.sum * __expf(r.max - x) + 1.0f;
    r.max = x;
    r.index = i;
  } else if (x > -INFINITY) {  // a -inf logit (the mask id's) adds nothing
    r.sum += __expf(x - r.max);  // a thread sees its indices in increasing order: a tie keeps the first
  }
}

__device__ __forceinline__ Running combine(const Running& a, const Running& b) {
  if (b.sum == 0.0f) return a;
  if (a.sum == 0.0f) return b;
  Running r;
  r.max = fmaxf(a.max, b.max);
  r.index = a.max > b.max ? a.index : b.max > a.max ? b.index : min(a.index, b.index);
  r.sum = a.sum * __expf(a.max - r.max) + b.sum * __expf(b.max - r.max);
  return r;
}

__device__ __forceinline__ Running shuffle_down(const Running& r, int offset) {
  return Running{__shfl_down_sync(0xffffffffu, r.max, offset), __shfl_down_sync(0xffffffffu, r.index, offset),
                 __shfl_down_sync(0xffffffffu, r.sum, offset)};
}

__device__ __forceinline__ Running warp_combine(Running r) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) r = combine(r, shuffle_down(r, offset));
  return r;
}

// Four logits from 16 (fp32) or 8 (bf16) aligned bytes, as fp32.
__device__ __forceinline__ float4 load4(const float* x, int j) { return __ldg(reinterpret_cast<const float4*>(x) + j); }

__device__ __forceinline__ float4 load4(const __nv_bfloat16* x, int j) {
  const uint2 v = __ldg(reinterpret_cast<const uint2*>(x) + j);
  const __nv_bfloat162 lo = *reinterpret_cast<const __nv_bfloat162*>(&v.x), hi = *reinterpret_cast<const __nv_bfloat162*>(&v.y);
  return make_float4(__low2float(lo), __high2float(lo), __low2float(hi), __high2float(hi));
}

__device__ __forceinline__ float load1(const float* x, int j) { return __ldg(x + j); }
__device__ __forceinline__ float load1(const __nv_bfloat16* x, int j) { return __bfloat162float(x[j]); }

template <typename T>
__global__ void __launch_bounds__(kThreads) greedy_propose_kernel(const T* __restrict__ logits, int64_t rows, int vocab,
                                                                   bool vectors, float* __restrict__ out) {
  __shared__ Running partial[kThreads / 32];
  dllm_launch::enter_kernel();
  const int64_t row = blockIdx.x;
  const T* x = logits + row * vocab;
  Running r{-INFINITY, 0x7fffffff, 0.0f};
  if (vectors) {
    for (int j = threadIdx.x; j < vocab / 4; j += kThreads) {
      const float4 v = load4(x, j);
      see(r, v.x, 4 * j);
      see(r, v.y, 4 * j + 1);
      see(r, v.z, 4 * j + 2);
      see(r, v.w, 4 * j + 3);
    }
  } else {
    for (int j = threadIdx.x; j < vocab; j += kThreads) see(r, load1(x, j), j);
  }
  r = warp_combine(r);
  if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = r;
  __syncthreads();
  if (threadIdx.x < 32) {
    r = partial[threadIdx.x];
    r = warp_combine(r);
    if (threadIdx.x == 0) {
      out[row] = (float)(r.sum == 0.0f ? 0 : r.index);
      out[rows + row] = r.sum == 0.0f ? 0.0f : expf(r.max - (logf(r.sum) + r.max));
    }
  }
}

template <typename T>
int launch(const T* logits, int64_t rows, int64_t vocab, float* out, cudaStream_t stream) {
  if (vocab < 1 || vocab > (1 << 24) || rows < 0 || rows > 0x7fffffff) return -2;
  if (rows == 0) return 0;
  const bool vectors = vocab % 4 == 0 && reinterpret_cast<uintptr_t>(logits) % (4 * sizeof(T)) == 0;
  return (int)dllm_launch::launch(greedy_propose_kernel<T>, dim3((unsigned)rows), dim3(kThreads), 0, stream, logits, rows, (int)vocab,
                                  vectors, out);
}

}  // namespace

// Returns 0, a CUDA error code, or -2 when vocab is outside 1..2^24 or rows < 0. rows == 0 launches nothing. logits
// are fp32 (bf16 == 0) or bf16 (bf16 != 0).
extern "C" int dllm_launch_greedy_propose(const void* logits, int bf16, int64_t rows, int64_t vocab, float* out, cudaStream_t stream) {
  return bf16 != 0 ? launch(static_cast<const __nv_bfloat16*>(logits), rows, vocab, out, stream)
                   : launch(static_cast<const float*>(logits), rows, vocab, out, stream);
}
