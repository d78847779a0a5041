// The LLaDA2 MoE router after its gate projection, in one kernel (one warp per token) instead of ~15 small ops:
//   s = sigmoid(logits); selection = s + bias; groups of 32 experts scored by the sum of their top-2 selections;
//   groups below the topk_group-th best score are dropped; top-k experts of the rest; weights = s of the chosen,
//   optionally renormalised (sum + 1e-20), times the scaling factor.
// Layout: lane l holds experts l, l + 32, l + 64, ...: expert slot j of every lane is group j (32 experts per group).
#include <cuda_runtime.h>
#include <cstdint>
#include <math_constants.h>

namespace {

constexpr int kMaxGroups = 16;  // up to 512 experts

struct Best {
  float value;
  int index;
};

__device__ __forceinline__ Best better(Best a, Best b) {
  return (b.value > a.value || (b.value == a.value && b.index < a.index)) ? b : a;
}

__device__ __forceinline__ Best warp_best(Best best) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) {
    Best other{__shfl_xor_sync(0xffffffffu, best.value, offset), __shfl_xor_sync(0xffffffffu, best.index, offset)};
    best = better(best, other);
  }
  return best;
}

__global__ void moe_router_kernel(const float* __restrict__ logits, const float* __restrict__ bias, int tokens, int groups,
                                  int topk_groups, int topk, bool normalize, float scaling, int64_t* __restrict__ experts_out,
                                  float* __restrict__ weights_out) {
  const int warp = (blockIdx.x * blockDim.x + threadIdx.x) / 32, lane = threadIdx.x % 32;
  if (warp >= tokens) return;
  const float* row = logits + (size_t)warp * groups * 32;
  float score[kMaxGroups], selection[kMaxGroups];
#pragma unroll
  for (int j = 0; j < kMaxGroups; ++j) {
    if (j < groups) {
      int e = lane + 32 * j;
      score[j] = 1.0f / (1.0f + expf(-row[e]));
      selection[j] = score[j] + bias[e];
    }
  }
  if (topk_groups < groups) {
    float group_score[kMaxGroups];
#pragma unroll
    for (int j = 0; j < kMaxGroups; ++j) {
      if (j < groups) {
        Best first = warp_best({selection[j], lane});
        Best second = warp_best({lane == first.index ? -CUDART_INF_F : selection[j], lane});
        group_score[j] = first.value + second.value;
      }
    }
    // the topk_groups-th best group score: groups strictly below it are dropped (equal ones kept)
    float kth = CUDART_INF_F;
    unsigned taken = 0;
    for (int round = 0; round < topk_groups; ++round) {
      float best = -CUDART_INF_F;
      int best_j = 0;
      for (int j = 0; j < groups; ++j)
        if (!(taken & (1u << j)) && group_score[j] > best) { best = group_score[j]; best_j = j; }
      taken |= 1u << best_j;
      kth = best;
    }
#pragma unroll
    for (int j = 0; j < kMaxGroups; ++j)
      if (j < groups && group_score[j] < kth) selection[j] = -CUDART_INF_F;
  }
  float sum = 0.0f;
  float chosen_score = 0.0f;
  int chosen_expert = 0;
  for (int i = 0; i < topk; ++i) {
    Best mine{-CUDART_INF_F, 0x7fffffff};
#pragma unroll
    for (int j = 0; j < kMaxGroups; ++j)
      if (j < groups) mine = better(mine, {selection[j], lane + 32 * j});
    Best best = warp_best(mine);
    int owner = best.index % 32, slot = best.index / 32;
    float s = 0.0f;
#pragma unroll
    for (int j = 0; j < kMaxGroups; ++j)
      if (j == slot && lane == owner) { s = score[j]; selection[j] = -CUDART_INF_F; }
    s = __shfl_sync(0xffffffffu, s, owner);
    sum += s;
    if (lane == i) { chosen_score = s; chosen_expert = best.index; }
  }
  if (lane < topk) {
    float w = normalize ? chosen_score / (sum + 1e-20f) : chosen_score;
    experts_out[(size_t)warp * topk + lane] = chosen_expert;
    weights_out[(size_t)warp * topk + lane] = w * scaling;
  }
}

}  // namespace

// Returns a cudaError_t (0 = success). logits [tokens, 32 * groups] fp32, bias [32 * groups] fp32.
extern "C" int dllm_launch_moe_router(const float* logits, const float* bias, int tokens, int groups, int topk_groups,
                                      int topk, int normalize, float scaling, int64_t* experts, float* weights,
                                      cudaStream_t stream) {
  if (groups < 1 || groups > kMaxGroups || topk < 1 || topk > 32 || topk_groups < 1 || topk_groups > groups)
    return (int)cudaErrorInvalidValue;
  if (tokens == 0) return 0;
  const int warps_per_block = 4;
  dim3 grid((tokens + warps_per_block - 1) / warps_per_block);
  moe_router_kernel<<<grid, warps_per_block * 32, 0, stream>>>(logits, bias, tokens, groups, topk_groups, topk,
                                                                normalize != 0, scaling, experts, weights);
  return (int)cudaGetLastError();
}
