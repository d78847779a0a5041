// GPU check of moe_router.cu on the CUDA host (eng/gpu/kernel-check.sh builds and runs it), against host references
// computed another way:
// - router_logits_kernel (the gate projection of bf16 hidden states, fp32 partial sums over K ranges): the partial sums
//   added up on the host, against logits in double (x · gateᵀ over the same bf16 and fp32 values), relative to the
//   row's largest |logit|, within 1e-5 — for T = 1, 7, 32, 100, 128, 512 and 4096 tokens at H = 2048, E = 256 (the
//   splits dllm_router_logits_splits picks for an H200's 132 SMs) and for forced split counts 1, 2 and 32;
// - the router kernel over those partial sums: the chosen experts and weights against a host router (sigmoid, + bias,
//   groups of 32 scored by their top-2 sum, the topk_group best kept with ties, top-k of the rest, weights = the chosen
//   scores renormalised and scaled) run on the kernel's own summed logits (so the projection's order of sums cannot
//   split a near tie): the same experts in the same order (for all but 0.1 % of the tokens: the host's and the
//   device's expf may differ in the last bit) and weights within 1e-6, for 8 groups keep 4, k = 8 (LLaDA2.0-mini),
//   16 groups keep 16, k = 6 and keep 4, k = 8, 4 groups keep 2, 2 groups keep 1 and 1 group, and with experts in tied
//   pairs (equal gate rows and biases: the lower index must win);
// - the group counts the router refuses (6: a group must be whole lanes of a warp);
// - the shapes the launches refuse (E not a multiple of 64, H not a multiple of splits × 64, 33 splits: -2).
// A row prints PASS or FAIL; the exit code is 1 when any fails. Then, unless `small`, the GPU time (CUDA events, 200
// launches after 20 of warm-up) of the projection kernel and of the router kernel a launch at T = 32, 128, 512 and
// 4096: what the step pays per MoE layer.
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <vector>

extern "C" int dllm_router_logits_splits(int tokens, int experts, int hidden, int blocks_wanted);
extern "C" int dllm_launch_router_logits(const void* x, const float* gate, float* partial, int tokens, int experts,
                                         int hidden, int splits, cudaStream_t stream);
extern "C" int dllm_launch_moe_router(const float* logits, int splits, const float* bias, int tokens, int groups,
                                      int topk_groups, int topk, int normalize, float scaling, int64_t* experts,
                                      float* weights, cudaStream_t stream);

#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { printf("CUDA %s at %d: %s\n", #x, __LINE__, cudaGetErrorString(e_)); exit(1); } } while (0)

int failures = 0;
uint64_t rng_state = 88172645463325252ull;
uint32_t rng() { rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17; return (uint32_t)(rng_state >> 11); }
float uniform() { return (rng() & 0xffffff) / 16777216.0f * 2.0f - 1.0f; }

void report(bool ok, const char* what) {
  printf("%-70s %s\n", what, ok ? "PASS" : "FAIL");
  if (!ok) ++failures;
}

// Device buffers of one routing problem: x [T, H] bf16, gate [E, H] fp32, bias [E] fp32, partial [splits, T, E], and
// the router's outputs [T, topk] (experts int64, weights fp32); the splits dllm_router_logits_splits picks for 132 SMs.
struct Problem {
  int T, H, E, topk, splits;
  std::vector<__nv_bfloat16> x;
  std::vector<float> gate, bias;
  __nv_bfloat16* dx = nullptr;
  float *dgate = nullptr, *dbias = nullptr, *dpartial = nullptr, *dweights = nullptr;
  int64_t* dexperts = nullptr;

  Problem(int tokens, int hidden, int experts, int k = 8)
      : T(tokens), H(hidden), E(experts), topk(k), splits(dllm_router_logits_splits(tokens, experts, hidden, 132)),
        x((size_t)tokens * hidden), gate((size_t)experts * hidden), bias(experts) {
    for (auto& v : x) v = __float2bfloat16(uniform() * 2.0f);
    for (auto& v : gate) v = uniform() * 0.05f;
    for (auto& v : bias) v = uniform() * 0.01f;
    CK(cudaMalloc(&dx, x.size() * sizeof(__nv_bfloat16)));
    CK(cudaMalloc(&dgate, gate.size() * sizeof(float)));
    CK(cudaMalloc(&dbias, bias.size() * sizeof(float)));
    CK(cudaMalloc(&dpartial, (size_t)32 * tokens * experts * sizeof(float)));
    CK(cudaMalloc(&dexperts, (size_t)tokens * k * sizeof(int64_t)));
    CK(cudaMalloc(&dweights, (size_t)tokens * k * sizeof(float)));
    CK(cudaMemcpy(dx, x.data(), x.size() * sizeof(__nv_bfloat16), cudaMemcpyHostToDevice));
    CK(cudaMemcpy(dgate, gate.data(), gate.size() * sizeof(float), cudaMemcpyHostToDevice));
    CK(cudaMemcpy(dbias, bias.data(), bias.size() * sizeof(float), cudaMemcpyHostToDevice));
  }
  ~Problem() {
    cudaFree(dx);
    cudaFree(dgate);
    cudaFree(dbias);
    cudaFree(dpartial);
    cudaFree(dexperts);
    cudaFree(dweights);
  }

  // The kernel's logits [T, E]: its partial sums added in order on the host, as the router kernel adds them.
  std::vector<float> logits(int splits) const {
    std::vector<float> partial((size_t)splits * T * E), out((size_t)T * E);
    CK(cudaMemcpy(partial.data(), dpartial, partial.size() * sizeof(float), cudaMemcpyDeviceToHost));
    for (size_t i = 0; i < out.size(); ++i) {
      float sum = partial[i];
      for (int s = 1; s < splits; ++s) sum += partial[(size_t)s * T * E + i];
      out[i] = sum;
    }
    return out;
  }

  // max over rows of max |kernel - double reference| / max |reference| of the row.
  double logit_error(const std::vector<float>& got) const {
    double worst = 0.0;
    for (int t = 0; t < T; ++t) {
      double row_max = 1e-30, row_err = 0.0;
      for (int e = 0; e < E; ++e) {
        double ref = 0.0;
        for (int k = 0; k < H; ++k) ref += (double)__bfloat162float(x[(size_t)t * H + k]) * gate[(size_t)e * H + k];
        row_max = std::max(row_max, std::fabs(ref));
        row_err = std::max(row_err, std::fabs(ref - got[(size_t)t * E + e]));
      }
      worst = std::max(worst, row_err / row_max);
    }
    return worst;
  }
};

// The host router over given logits (one token's E): chosen experts in order of selection, and their weights.
void host_route(const float* logits, const float* bias, int E, int groups, int topk_groups, int topk, bool normalize,
                float scaling, std::vector<int64_t>& experts, std::vector<float>& weights) {
  std::vector<float> score(E), selection(E);
  for (int e = 0; e < E; ++e) {
    score[e] = 1.0f / (1.0f + expf(-logits[e]));
    selection[e] = score[e] + bias[e];
  }
  const int per = E / groups;
  if (topk_groups < groups) {
    std::vector<float> group_score(groups);
    for (int g = 0; g < groups; ++g) {
      std::vector<float> members(selection.begin() + g * per, selection.begin() + (g + 1) * per);
      std::partial_sort(members.begin(), members.begin() + 2, members.end(), std::greater<float>());
      group_score[g] = members[0] + members[1];
    }
    std::vector<float> sorted = group_score;
    std::sort(sorted.begin(), sorted.end(), std::greater<float>());
    const float kth = sorted[topk_groups - 1];
    for (int g = 0; g < groups; ++g)
      if (group_score[g] < kth)
        for (int e = g * per; e < (g + 1) * per; ++e) selection[e] = -INFINITY;
  }
  experts.clear();
  weights.clear();
  float sum = 0.0f;
  for (int i = 0; i < topk; ++i) {
    int best = 0;
    for (int e = 1; e < E; ++e)
      if (selection[e] > selection[best]) best = e;  // ties to the lower index, as the kernel
    experts.push_back(best);
    weights.push_back(score[best]);
    sum += score[best];
    selection[best] = -INFINITY;
  }
  for (auto& w : weights) w = (normalize ? w / (sum + 1e-20f) : w) * scaling;
}

void check_projection(int T, int forced_splits) {
  const int H = 2048, E = 256;
  Problem p(T, H, E);
  const int splits = forced_splits > 0 ? forced_splits : p.splits;
  int status = dllm_launch_router_logits(p.dx, p.dgate, p.dpartial, T, E, H, splits, 0);
  CK(cudaDeviceSynchronize());
  double error = status == 0 ? p.logit_error(p.logits(splits)) : INFINITY;
  char what[160];
  snprintf(what, sizeof what, "projection T=%4d H=%d E=%d splits=%2d%s: max relative error %.2e", T, H, E, splits,
           forced_splits > 0 ? " (forced)" : "", error);
  report(status == 0 && error < 1e-5, what);
}

void check_router(int T, int groups, int topk_groups, int topk, bool ties = false) {
  const int H = 2048, E = 32 * groups;
  Problem p(T, H, E, topk);
  if (ties) {
    // Experts 2m and 2m + 1 get the same gate row and bias: equal logits and selections, bit for bit, whose tie the
    // lower index must win (and two equal top values in a group).
    for (int e = 1; e < E; e += 2) {
      std::copy(p.gate.begin() + (size_t)(e - 1) * H, p.gate.begin() + (size_t)e * H, p.gate.begin() + (size_t)e * H);
      p.bias[e] = p.bias[e - 1];
    }
    CK(cudaMemcpy(p.dgate, p.gate.data(), p.gate.size() * sizeof(float), cudaMemcpyHostToDevice));
    CK(cudaMemcpy(p.dbias, p.bias.data(), p.bias.size() * sizeof(float), cudaMemcpyHostToDevice));
  }
  // E = 32 (one group) is below the projection's 64-expert tiles: there the router gets host logits.
  const int splits = E % 64 == 0 ? p.splits : 1;
  int status = 0;
  if (E % 64 == 0) {
    status = dllm_launch_router_logits(p.dx, p.dgate, p.dpartial, T, E, H, splits, 0);
  } else {
    std::vector<float> host((size_t)T * E);
    for (auto& v : host) v = uniform() * 4.0f;
    CK(cudaMemcpy(p.dpartial, host.data(), host.size() * sizeof(float), cudaMemcpyHostToDevice));
  }
  if (status == 0) status = dllm_launch_moe_router(p.dpartial, splits, p.dbias, T, groups, topk_groups, topk, 1, 2.5f, p.dexperts, p.dweights, 0);
  CK(cudaDeviceSynchronize());
  std::vector<int64_t> experts((size_t)T * topk);
  std::vector<float> weights((size_t)T * topk);
  CK(cudaMemcpy(experts.data(), p.dexperts, experts.size() * sizeof(int64_t), cudaMemcpyDeviceToHost));
  CK(cudaMemcpy(weights.data(), p.dweights, weights.size() * sizeof(float), cudaMemcpyDeviceToHost));
  const std::vector<float> logits = p.logits(splits);
  int mismatched = 0;
  double worst = 0.0;
  std::vector<int64_t> want;
  std::vector<float> want_weights;
  for (int t = 0; t < T; ++t) {
    host_route(logits.data() + (size_t)t * E, p.bias.data(), E, groups, topk_groups, topk, true, 2.5f, want, want_weights);
    for (int i = 0; i < topk; ++i) {
      if (experts[(size_t)t * topk + i] != want[i]) { ++mismatched; break; }
      worst = std::max(worst, (double)std::fabs(weights[(size_t)t * topk + i] - want_weights[i]));
    }
  }
  char what[160];
  snprintf(what, sizeof what, "router T=%4d E=%d keep %d of %d groups k=%d%s: %d tokens differ, weights within %.1e", T, E,
           topk_groups, groups, topk, ties ? " (tied pairs)" : "", mismatched, worst);
  report(status == 0 && mismatched <= T / 1000 && worst < 1e-6, what);  // host and device expf may differ in an ulp
}

void check_refusals() {
  Problem p(32, 2048, 256);
  report(dllm_launch_router_logits(p.dx, p.dgate, p.dpartial, 32, 96, 2048, 1, 0) == -2, "refuses E = 96 (not a multiple of 64)");
  report(dllm_launch_router_logits(p.dx, p.dgate, p.dpartial, 32, 256, 2048, 33, 0) == -2, "refuses 33 splits");
  report(dllm_launch_router_logits(p.dx, p.dgate, p.dpartial, 32, 256, 2000, 1, 0) == -2, "refuses H = 2000 (not a multiple of 64)");
  report(dllm_launch_moe_router(p.dpartial, 33, p.dbias, 32, 8, 4, 8, 1, 2.5f, nullptr, nullptr, 0) != 0, "router refuses 33 splits");
  report(dllm_launch_moe_router(p.dpartial, 1, p.dbias, 32, 6, 3, 8, 1, 2.5f, nullptr, nullptr, 0) != 0,
         "router refuses 6 groups (a group must be whole lanes of a warp)");
}

void time_kernels(int T) {
  const int H = 2048, E = 256, groups = 8, topk = 8;
  Problem p(T, H, E, topk);
  const int splits = p.splits;
  cudaEvent_t start, stop;
  CK(cudaEventCreate(&start));
  CK(cudaEventCreate(&stop));
  auto time = [&](auto&& launch) {
    for (int i = 0; i < 20; ++i) launch();
    CK(cudaEventRecord(start));
    for (int i = 0; i < 200; ++i) launch();
    CK(cudaEventRecord(stop));
    CK(cudaEventSynchronize(stop));
    float ms = 0.0f;
    CK(cudaEventElapsedTime(&ms, start, stop));
    return ms * 1000.0f / 200.0f;
  };
  const float projection = time([&] { dllm_launch_router_logits(p.dx, p.dgate, p.dpartial, T, E, H, splits, 0); });
  const float router = time([&] { dllm_launch_moe_router(p.dpartial, splits, p.dbias, T, groups, 4, topk, 1, 2.5f, p.dexperts, p.dweights, 0); });
  CK(cudaGetLastError());
  printf("time T=%4d E=%d H=%d splits=%2d: projection %7.2f us, router %7.2f us a launch\n", T, E, H, splits, projection, router);
}

int main(int argc, char** argv) {
  const bool small = argc > 1 && strcmp(argv[1], "small") == 0;
  for (int T : {1, 7, 32, 100, 128, 512, 4096}) check_projection(T, 0);
  for (int s : {1, 2, 32}) check_projection(32, s);
  for (int T : {1, 32, 512, 4096}) check_router(T, 8, 4, 8);
  check_router(100, 16, 16, 6);
  check_router(100, 16, 4, 8);
  check_router(100, 4, 2, 4);
  check_router(100, 2, 1, 8);
  check_router(100, 1, 1, 8);
  check_router(512, 8, 4, 8, true);
  check_router(100, 16, 4, 8, true);
  check_refusals();
  if (!small)
    for (int T : {32, 128, 512, 4096}) time_kernels(T);
  printf("%s\n", failures == 0 ? "moe router check: PASS" : "moe router check: FAIL");
  return failures == 0 ? 0 : 1;
}
