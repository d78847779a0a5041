// The LLaDA2 MoE router after its gate projection, in one kernel (a warp per token) instead of ~15 small ops:
//   s = sigmoid(logits); selection = s + bias; groups of 32 experts scored by the sum of their top-2 selections;
//   groups below the topk_group-th best score are dropped; top-k experts of the rest; weights = s of the chosen,
//   optionally renormalised (sum + 1e-20), times the scaling factor.
// Layout: with G groups of 32 experts, lane l holds the G contiguous experts l G .. l G + G - 1 (G = 1, 2, 4, 8 or 16).
// The logits may come as `splits` partial sums [splits, tokens, experts] (router_logits_kernel below), added in order.
//
// router_logits_kernel: the gate projection itself for bf16 hidden states, logits = x · gateᵀ in fp32 (x [T, H] bf16,
// gate [E, H] fp32), on CUDA cores with fp32 products and sums (as an fp32 GEMM of the cast x: the products are the
// same, the order of the sums is another), instead of a cast and cuBLAS's fp32 GEMM (and its split-K reduction): a
// CUDA block per (64 tokens, 64 experts, a K range), 4 x 4 outputs a thread; the K ranges (`splits` of them, enough for
// about a block an SM) give partial sums that the router kernel adds in order, so the result does not depend on timing.
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <cstdint>
#include <math_constants.h>

#include "dependent_launch.cuh"

namespace {

constexpr int kMaxGroups = 16;  // up to 512 experts
constexpr int kMaxSplits = 32;  // partial sums of a logit (router_logits_kernel's K ranges)

// Orders floats as unsigned ints for the warp's max reduction: a larger float, a larger int; -0 as +0 (equal floats, one
// key); NaN lowest (as a comparison, it never wins).
__device__ __forceinline__ unsigned ordered(float v) {
  if (v != v) return 0u;
  const unsigned u = __float_as_uint(v + 0.0f);
  return u & 0x80000000u ? ~u : u | 0x80000000u;
}

// A warp per token (kRouterWarps tokens a block). Lane l owns the G = groups contiguous experts l G .. l G + G - 1, so a
// group of 32 experts is 32 / G whole lanes: a group's top-2 is a lane's own top-2 merged over its group's lanes (log2
// of 32 / G shuffles), and each top-k round is one max reduction (redux.sync) and one ballot over the lanes' own best,
// instead of butterfly reductions per group and round (a chain of ~5,000 dependent instructions, 14 us at any token
// count). Ties go to the lower expert index, as the warp's lowest lane holding the max owns the lowest such index. The
// arithmetic (the partial sums' order, sigmoid, + bias, top-2 sums, the running sum of the chosen scores) is the same.
template <int G>
__device__ __forceinline__ void route_token(const float* __restrict__ logits, int splits, size_t split_stride,
                                            const float* __restrict__ bias, int token, int topk_groups, int topk,
                                            bool normalize, float scaling, int64_t* __restrict__ experts_out,
                                            float* __restrict__ weights_out) {
  constexpr int kGroups = G, kLanesPerGroup = 32 / G;
  const int lane = threadIdx.x % 32, first = lane * G;
  const float* mine = logits + (size_t)token * 32 * G + first;
  float logit[G];
#pragma unroll
  for (int p = 0; p < G; ++p) logit[p] = __ldg(mine + p);
  for (int s = 1; s < splits; ++s) {
#pragma unroll
    for (int p = 0; p < G; ++p) logit[p] += __ldg(mine + s * split_stride + p);
  }
  float score[G], selection[G];
#pragma unroll
  for (int p = 0; p < G; ++p) {
    score[p] = 1.0f / (1.0f + expf(-logit[p]));
    selection[p] = score[p] + __ldg(bias + first + p);
  }
  if (topk_groups < kGroups) {
    // The group's two best selections (values only: their sum is the group's score, whichever of equal ones is taken).
    float top1 = -CUDART_INF_F, top2 = -CUDART_INF_F;
#pragma unroll
    for (int p = 0; p < G; ++p) {
      const float v = selection[p];
      top2 = fmaxf(top2, fminf(top1, v));
      top1 = fmaxf(top1, v);
    }
#pragma unroll
    for (int offset = 1; offset < kLanesPerGroup; offset *= 2) {
      const float o1 = __shfl_xor_sync(0xffffffffu, top1, offset), o2 = __shfl_xor_sync(0xffffffffu, top2, offset);
      top2 = fmaxf(fminf(top1, o1), fmaxf(top2, o2));
      top1 = fmaxf(top1, o1);
    }
    const float group_score = top1 + top2;
    // Kept iff fewer than topk_groups groups score strictly higher (= at least the topk_groups-th best score).
    int higher = 0;
#pragma unroll
    for (int g = 0; g < kGroups; ++g) higher += __shfl_sync(0xffffffffu, group_score, g * kLanesPerGroup) > group_score;
    if (higher >= topk_groups) {
#pragma unroll
      for (int p = 0; p < G; ++p) selection[p] = -CUDART_INF_F;
    }
  }
  float sum = 0.0f, chosen_score = 0.0f;
  int chosen_expert = 0;
  for (int i = 0; i < topk; ++i) {
    // The lane's best selection (its lowest slot among equal ones) and that slot's score.
    float best = -CUDART_INF_F, best_score = score[0];
    int slot = 0;
#pragma unroll
    for (int p = 0; p < G; ++p)
      if (selection[p] > best) { best = selection[p]; best_score = score[p]; slot = p; }
    const unsigned top = __reduce_max_sync(0xffffffffu, ordered(best));
    const int owner = __ffs(__ballot_sync(0xffffffffu, ordered(best) == top)) - 1;
    const float s = __shfl_sync(0xffffffffu, best_score, owner);
    const int expert = owner * G + __shfl_sync(0xffffffffu, slot, owner);
    if (lane == owner) {
#pragma unroll
      for (int p = 0; p < G; ++p)
        if (p == slot) selection[p] = -CUDART_INF_F;
    }
    sum += s;
    if (lane == i) { chosen_score = s; chosen_expert = expert; }
  }
  if (lane < topk) {
    const float w = normalize ? chosen_score / (sum + 1e-20f) : chosen_score;
    experts_out[(size_t)token * topk + lane] = chosen_expert;
    weights_out[(size_t)token * topk + lane] = w * scaling;
  }
}

constexpr int kRouterWarps = 4;

template <int G>
__global__ void __launch_bounds__(kRouterWarps * 32)
    moe_router_kernel(const float* __restrict__ logits, int splits, const float* __restrict__ bias, int tokens,
                      int topk_groups, int topk, bool normalize, float scaling, int64_t* __restrict__ experts_out,
                      float* __restrict__ weights_out) {
  dllm_launch::enter_kernel();
  const int token = blockIdx.x * kRouterWarps + threadIdx.x / 32;
  if (token >= tokens) return;  // a whole warp: the warp collectives below see all 32 lanes
  route_token<G>(logits, splits, (size_t)tokens * 32 * G, bias, token, topk_groups, topk, normalize, scaling, experts_out,
                 weights_out);
}

constexpr int kLogitTile = 64;   // tokens and experts a block
constexpr int kLogitChunk = 64;  // K a shared-memory stage
constexpr int kLogitThreads = 256;
constexpr int kLogitPad = kLogitTile + 4;  // floats a shared row: float4 reads stay aligned
constexpr int kXVectors = kLogitTile * kLogitChunk / 8 / kLogitThreads;  // 16-byte vectors of x a thread loads a stage: 2
constexpr int kGateVectors = kLogitTile * kLogitChunk / 4 / kLogitThreads;  // of the gate: 4

// Grid (E / 64, ceil(T / 64), splits), 256 threads. Thread (tt = tid / 16, te = tid % 16) owns tokens 4 tt..4 tt + 3
// and experts 4 te..4 te + 3 of the tile; partial[s, t, e] = the sum over k in split s's range, k in increasing order.
// The next stage's loads are in flight (in registers) while a stage is multiplied out of shared memory.
__global__ void __launch_bounds__(kLogitThreads)
    router_logits_kernel(const __nv_bfloat16* __restrict__ x, const float* __restrict__ gate, float* __restrict__ partial,
                         int tokens, int experts, int hidden, int k_per_split) {
  __shared__ __align__(16) float xs[kLogitChunk][kLogitPad];  // [k][token]
  __shared__ __align__(16) float ws[kLogitChunk][kLogitPad];  // [k][expert]
  dllm_launch::enter_kernel();
  const int tid = threadIdx.x, te = tid % 16, tt = tid / 16;
  const int e0 = blockIdx.x * kLogitTile, t0 = blockIdx.y * kLogitTile, k_begin = blockIdx.z * k_per_split;
  const int k_end = k_begin + k_per_split;
  uint4 xv[kXVectors];
  float4 gv[kGateVectors];
  auto fetch = [&](int k0) {
#pragma unroll
    for (int r = 0; r < kXVectors; ++r) {
      const int i = tid + r * kLogitThreads, t = i / 8, c = i % 8;
      xv[r] = t0 + t < tokens ? __ldg(reinterpret_cast<const uint4*>(x + (size_t)(t0 + t) * hidden + k0 + c * 8))
                              : make_uint4(0, 0, 0, 0);
    }
#pragma unroll
    for (int r = 0; r < kGateVectors; ++r) {
      const int i = tid + r * kLogitThreads, e = i / 16, q = i % 16;
      gv[r] = __ldg(reinterpret_cast<const float4*>(gate + (size_t)(e0 + e) * hidden + k0 + q * 4));
    }
  };
  float acc[4][4] = {};
  fetch(k_begin);
  for (int k0 = k_begin; k0 < k_end; k0 += kLogitChunk) {
#pragma unroll
    for (int r = 0; r < kXVectors; ++r) {
      const int i = tid + r * kLogitThreads, t = i / 8, c = i % 8;
      const __nv_bfloat16* e = reinterpret_cast<const __nv_bfloat16*>(&xv[r]);
#pragma unroll
      for (int j = 0; j < 8; ++j) xs[c * 8 + j][t] = __bfloat162float(e[j]);
    }
#pragma unroll
    for (int r = 0; r < kGateVectors; ++r) {
      const int i = tid + r * kLogitThreads, e = i / 16, q = i % 16;
      ws[q * 4 + 0][e] = gv[r].x;
      ws[q * 4 + 1][e] = gv[r].y;
      ws[q * 4 + 2][e] = gv[r].z;
      ws[q * 4 + 3][e] = gv[r].w;
    }
    __syncthreads();
    if (k0 + kLogitChunk < k_end) fetch(k0 + kLogitChunk);
#pragma unroll 16
    for (int k = 0; k < kLogitChunk; ++k) {
      const float4 a = *reinterpret_cast<const float4*>(&xs[k][tt * 4]);
      const float4 b = *reinterpret_cast<const float4*>(&ws[k][te * 4]);
      const float av[4] = {a.x, a.y, a.z, a.w}, bv[4] = {b.x, b.y, b.z, b.w};
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
    }
    __syncthreads();
  }
  float* out = partial + (size_t)blockIdx.z * tokens * experts;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int t = t0 + tt * 4 + i;
    if (t < tokens)
      *reinterpret_cast<float4*>(out + (size_t)t * experts + e0 + te * 4) = make_float4(acc[i][0], acc[i][1], acc[i][2], acc[i][3]);
  }
}

}  // namespace

// The K ranges router_logits_kernel splits a gate projection of `tokens` x `hidden` over: doubling from 1 (up to 32)
// while the grid has fewer than `blocks_wanted` blocks and the ranges still divide hidden into 64-deep stages.
extern "C" int dllm_router_logits_splits(int tokens, int experts, int hidden, int blocks_wanted) {
  const int base = (experts / kLogitTile) * ((tokens + kLogitTile - 1) / kLogitTile);
  int splits = 1;
  while (base * splits < blocks_wanted && 2 * splits <= kMaxSplits && hidden % (2 * splits * kLogitChunk) == 0) splits *= 2;
  return splits;
}

// Partial logits [splits, tokens, experts] fp32 of x [tokens, hidden] bf16 (rows contiguous, 16-byte aligned) and gate
// [experts, hidden] fp32. Returns 0, a CUDA error, or -2 for an unsupported shape (experts not a multiple of 64,
// hidden not a multiple of splits * 64, more than 32 splits, misaligned pointers).
extern "C" int dllm_launch_router_logits(const void* x, const float* gate, float* partial, int tokens, int experts,
                                         int hidden, int splits, cudaStream_t stream) {
  if (experts <= 0 || experts % kLogitTile != 0 || splits < 1 || splits > kMaxSplits || hidden % (splits * kLogitChunk) != 0 ||
      ((reinterpret_cast<uintptr_t>(x) | reinterpret_cast<uintptr_t>(gate) | reinterpret_cast<uintptr_t>(partial)) % 16) != 0)
    return -2;
  if (tokens == 0) return 0;
  dim3 grid((unsigned)(experts / kLogitTile), (unsigned)((tokens + kLogitTile - 1) / kLogitTile), (unsigned)splits);
  return (int)dllm_launch::launch(router_logits_kernel, grid, dim3(kLogitThreads), 0, stream, static_cast<const __nv_bfloat16*>(x),
                                  gate, partial, tokens, experts, hidden, hidden / splits);
}

// Returns a cudaError_t (0 = success). logits [splits, tokens, 32 * groups] fp32 (the partial sums of
// dllm_launch_router_logits, or splits = 1 for whole logits), bias [32 * groups] fp32; groups 1, 2, 4, 8 or 16 (a group
// is whole lanes of a warp).
extern "C" int dllm_launch_moe_router(const float* logits, int splits, const float* bias, int tokens, int groups, int topk_groups,
                                      int topk, int normalize, float scaling, int64_t* experts, float* weights,
                                      cudaStream_t stream) {
  if (groups < 1 || groups > kMaxGroups || (groups & (groups - 1)) != 0 || topk < 1 || topk > 32 || topk_groups < 1 ||
      topk_groups > groups || splits < 1 || splits > kMaxSplits)
    return (int)cudaErrorInvalidValue;
  if (tokens == 0) return 0;
  const unsigned blocks = (unsigned)((tokens + kRouterWarps - 1) / kRouterWarps);
  auto kernel = groups == 1   ? moe_router_kernel<1>
                : groups == 2 ? moe_router_kernel<2>
                : groups == 4 ? moe_router_kernel<4>
                : groups == 8 ? moe_router_kernel<8>
                              : moe_router_kernel<16>;
  return (int)dllm_launch::launch(kernel, dim3(blocks), dim3(kRouterWarps * 32), 0, stream, logits, splits, bias, tokens,
                                  topk_groups, topk, normalize != 0, scaling, experts, weights);
}
