// GPU check of paged_attention.cu on the CUDA host (eng/gpu/kernel-check.sh builds and runs it): the kernel against a
// naive fp32 reference (one warp per query row and head, keys one by one), over edge cases the engine's own layouts do
// not all reach (prefix lengths 0, 1, 63, 64, 65 and random, rows that see no key, forced split counts beyond the key
// tiles, head dimensions 32/64/128, n = 1/7/64/100, groups 1/3/4/8), then its GPU time at the serving shapes and at
// each split count. A row prints PASS when every output is finite, rows that see no key are 0, and the largest
// difference is under 2 % of the largest output.
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

extern "C" int dllm_paged_attention_splits(int, int, int, int, int, int);
extern "C" int dllm_paged_attention_rows_padded(int, int, int);
extern "C" int dllm_launch_paged_attention(const void*, const void*, const void*, const void*, const void*, const int64_t*,
                                           const int32_t*, const uint8_t*, void*, int, int, int, int, int, int, int, float*,
                                           float*, float*, cudaStream_t);

#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { printf("CUDA %s at %d: %s\n", #x, __LINE__, cudaGetErrorString(e_)); exit(1); } } while (0)
using bf16 = __nv_bfloat16;

__global__ void fill(bf16* p, size_t n, uint32_t seed, float amp) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
    uint32_t x = (uint32_t)i * 2654435761u ^ seed; x ^= x >> 15; x *= 2246822519u; x ^= x >> 13; x *= 3266489917u; x ^= x >> 16;
    p[i] = __float2bfloat16(((x & 0xffffff) / 16777215.0f * 2.0f - 1.0f) * amp);
  }
}

__global__ void reference(const bf16* q, const bf16* kn, const bf16* vn, const bf16* ck, const bf16* cv, const int64_t* rows,
                          const int* plen, const uint8_t* mask, float* out, int B, int n, int H, int KV, int D, int P, float scale) {
  int w = (blockIdx.x * blockDim.x + threadIdx.x) / 32, lane = threadIdx.x % 32;
  if (w >= B * n * H) return;
  int h = w % H, i = (w / H) % n, b = w / (H * n), kv = h / (H / KV), per = D / 32;
  float qv[4], acc[4] = {0, 0, 0, 0};
  for (int e = 0; e < per; ++e) qv[e] = __bfloat162float(q[(((int64_t)b * n + i) * H + h) * D + lane * per + e]);
  float m = -INFINITY, l = 0.0f;
  int pl = plen[b];
  for (int t = 0; t < pl + n; ++t) {
    const bf16 *kp, *vp;
    if (t < pl) { int64_t r = rows[(int64_t)b * P + t]; kp = ck + (r * KV + kv) * D; vp = cv + (r * KV + kv) * D; }
    else { int j = t - pl; if (!mask[((int64_t)b * n + i) * n + j]) continue; kp = kn + (((int64_t)b * n + j) * KV + kv) * D; vp = vn + (((int64_t)b * n + j) * KV + kv) * D; }
    float s = 0;
    for (int e = 0; e < per; ++e) s += qv[e] * __bfloat162float(kp[lane * per + e]);
    for (int o = 16; o; o /= 2) s += __shfl_xor_sync(~0u, s, o);
    s *= scale;
    float mn = fmaxf(m, s), c = expf(m - mn), p = expf(s - mn);
    l = l * c + p;
    for (int e = 0; e < per; ++e) acc[e] = acc[e] * c + p * __bfloat162float(vp[lane * per + e]);
    m = mn;
  }
  for (int e = 0; e < per; ++e) out[(((int64_t)b * n + i) * H + h) * D + lane * per + e] = l > 0 ? acc[e] / l : 0.0f;
}

struct Case { const char* name; int B, n, H, KV, D, P; int plen_mode; int mask_mode; int splits; bool check; bool time; };

int sms = 0;
int failures = 0;

static void run(const Case& c) {
  const int B = c.B, n = c.n, H = c.H, KV = c.KV, D = c.D, P = c.P;
  uint64_t state = 1234 + B * 7 + n * 13 + P;
  auto rng = [&]() { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return (uint32_t)(state >> 11); };
  std::vector<int> plen(B);
  for (int b = 0; b < B; ++b) {
    if (c.plen_mode == 0) plen[b] = P;
    else { int specials[] = {0, 1, 63, 64, 65, P, P - 1, 127, 128}; plen[b] = b < 9 ? std::min(P, specials[b]) : (int)(rng() % (P + 1)); }
  }
  const int64_t pages = ((int64_t)B * P + 31) / 32 + 4, cache_rows = pages * 32;
  std::vector<int64_t> perm(pages); for (int64_t i = 0; i < pages; ++i) perm[i] = i; for (int64_t i = pages - 1; i > 0; --i) std::swap(perm[i], perm[rng() % (i + 1)]);
  std::vector<int64_t> rows((size_t)B * P);
  for (int b = 0; b < B; ++b) for (int j = 0; j < P; ++j) {
    int64_t flat = (int64_t)b * P + j;
    rows[flat] = j < plen[b] ? perm[flat / 32] * 32 + flat % 32 : (int64_t)1 << 40;  // padding: far out of range
  }
  std::vector<uint8_t> mask((size_t)B * n * n);
  for (int b = 0; b < B; ++b) for (int i = 0; i < n; ++i) for (int j = 0; j < n; ++j) {
    uint8_t v;
    if (c.mask_mode == 0) v = j <= i;
    else v = (i % 5 == 0) ? 0 : (rng() % 2);  // every fifth row sees no new key
    mask[((size_t)b * n + i) * n + j] = v;
  }
  bf16 *q, *kn, *vn, *ck, *cv, *out; float* ref; int64_t* d_rows; int* d_plen; uint8_t* d_mask;
  size_t nq = (size_t)B * n * H * D, nk = (size_t)B * n * KV * D, nc = (size_t)cache_rows * KV * D;
  CK(cudaMalloc(&q, nq * 2)); CK(cudaMalloc(&kn, nk * 2)); CK(cudaMalloc(&vn, nk * 2)); CK(cudaMalloc(&ck, nc * 2)); CK(cudaMalloc(&cv, nc * 2));
  CK(cudaMalloc(&out, nq * 2)); CK(cudaMalloc(&ref, nq * 4));
  CK(cudaMalloc(&d_rows, rows.size() * 8)); CK(cudaMalloc(&d_plen, B * 4)); CK(cudaMalloc(&d_mask, mask.size()));
  fill<<<1024, 256>>>(q, nq, 1, 3.0f); fill<<<1024, 256>>>(kn, nk, 2, 1.0f); fill<<<1024, 256>>>(vn, nk, 3, 1.0f);
  fill<<<1024, 256>>>(ck, nc, 4, 1.0f); fill<<<1024, 256>>>(cv, nc, 5, 1.0f);
  CK(cudaMemcpy(d_rows, rows.data(), rows.size() * 8, cudaMemcpyHostToDevice));
  CK(cudaMemcpy(d_plen, plen.data(), B * 4, cudaMemcpyHostToDevice));
  CK(cudaMemcpy(d_mask, mask.data(), mask.size(), cudaMemcpyHostToDevice));
  CK(cudaMemset(out, 0xff, nq * 2));

  const int splits = c.splits > 0 ? c.splits : dllm_paged_attention_splits(B, n, H, KV, P, sms);
  const int rp = dllm_paged_attention_rows_padded(n, H, KV);
  float *po = nullptr, *pm = nullptr, *pl = nullptr;
  if (splits > 1) { CK(cudaMalloc(&po, (size_t)B * KV * splits * rp * D * 4)); CK(cudaMalloc(&pm, (size_t)B * KV * splits * rp * 4)); CK(cudaMalloc(&pl, (size_t)B * KV * splits * rp * 4)); }
  auto launch = [&] { return dllm_launch_paged_attention(q, kn, vn, ck, cv, d_rows, d_plen, d_mask, out, B, n, H, KV, D, P, splits, po, pm, pl, 0); };
  int st = launch(); if (st) { printf("%s: launch returned %d\n", c.name, st); exit(1); }
  CK(cudaDeviceSynchronize());
  printf("%-34s B=%2d n=%3d H=%2d KV=%d D=%3d P=%5d splits=%3d rows_padded=%3d", c.name, B, n, H, KV, D, P, splits, rp);
  if (c.check) {
    reference<<<(unsigned)((B * n * H * 32 + 255) / 256), 256>>>(q, kn, vn, ck, cv, d_rows, d_plen, d_mask, ref, B, n, H, KV, D, P, 1.0f / sqrtf((float)D));
    CK(cudaDeviceSynchronize());
    std::vector<uint16_t> hn(nq); std::vector<float> hr(nq);
    CK(cudaMemcpy(hn.data(), out, nq * 2, cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(hr.data(), ref, nq * 4, cudaMemcpyDeviceToHost));
    auto tof = [](uint16_t u) { uint32_t x = (uint32_t)u << 16; float f; memcpy(&f, &x, 4); return f; };
    double dn = 0, mx = 0; size_t bad = 0, zero_rows_bad = 0;
    for (size_t e = 0; e < nq; ++e) {
      float a = tof(hn[e]), r = hr[e];
      if (!std::isfinite(a)) ++bad;
      dn = std::max(dn, (double)fabsf(a - r)); mx = std::max(mx, (double)fabsf(r));
      if (r == 0.0f && a != 0.0f) ++zero_rows_bad;
    }
    bool ok = bad == 0 && zero_rows_bad == 0 && dn / mx < 0.02;
    failures += ok ? 0 : 1;
    printf("  | max|ref|=%.3f max|kernel-ref|=%.5f nonfinite=%zu zero-mismatch=%zu %s", mx, dn, bad, zero_rows_bad, ok ? "PASS" : "FAIL");
  }
  if (c.time) {
    cudaEvent_t e0, e1; CK(cudaEventCreate(&e0)); CK(cudaEventCreate(&e1));
    const int reps = 20; float tn = 0;
    for (int w = 0; w < 3; ++w) launch();
    CK(cudaEventRecord(e0)); for (int r = 0; r < reps; ++r) launch(); CK(cudaEventRecord(e1)); CK(cudaEventSynchronize(e1)); CK(cudaEventElapsedTime(&tn, e0, e1));
    printf("  | %.4f ms", tn / reps);
    CK(cudaEventDestroy(e0)); CK(cudaEventDestroy(e1));
  }
  printf("\n");
  CK(cudaGetLastError());
  cudaFree(q); cudaFree(kn); cudaFree(vn); cudaFree(ck); cudaFree(cv); cudaFree(out); cudaFree(ref);
  cudaFree(d_rows); cudaFree(d_plen); cudaFree(d_mask); cudaFree(po); cudaFree(pm); cudaFree(pl);
}

int main(int argc, char** argv) {
  CK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  bool small = argc > 1 && !strcmp(argv[1], "small");
  printf("SMs %d; D=96 returns %d; B=0 returns %d\n", sms,
         dllm_launch_paged_attention(0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 96, 1, 1, 0, 0, 0, 0),
         dllm_launch_paged_attention(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 128, 1, 1, 0, 0, 0, 0));
  std::vector<Case> cases = {
      {"edge plen/mask auto", 11, 32, 16, 4, 128, 300, 1, 1, 0, true, false},
      {"edge splits=1", 11, 32, 16, 4, 128, 300, 1, 1, 1, true, false},
      {"edge splits=5", 11, 32, 16, 4, 128, 300, 1, 1, 5, true, false},
      {"edge splits=13 (> tiles)", 11, 32, 16, 4, 128, 300, 1, 1, 13, true, false},
      {"D=64", 10, 32, 16, 4, 64, 333, 1, 1, 0, true, false},
      {"D=32", 10, 32, 16, 4, 32, 333, 1, 1, 3, true, false},
      {"n=64 fused", 10, 64, 16, 4, 128, 1000, 1, 1, 0, true, false},
      {"n=64 fused splits=1", 10, 64, 16, 4, 128, 1000, 1, 0, 1, true, false},
      {"n=100 two row tiles", 9, 100, 16, 4, 128, 200, 1, 1, 0, true, false},
      {"n=100 two row tiles splits=1", 9, 100, 16, 4, 128, 200, 1, 1, 1, true, false},
      {"n=1 groups=1", 9, 1, 8, 8, 64, 129, 1, 0, 0, true, false},
      {"n=7 groups=3 D=32", 9, 7, 12, 4, 32, 70, 1, 1, 1, true, false},
      {"n=7 groups=3 D=128 split", 9, 7, 12, 4, 128, 700, 1, 1, 4, true, false},
      {"groups=8 n=64 (512 rows)", 2, 64, 32, 4, 128, 500, 0, 1, 0, true, false},
  };
  std::vector<Case> timed = {
      {"step 1024 x1", 1, 32, 16, 4, 128, 1024, 0, 0, 0, true, true},
      {"step 1024 x16", 16, 32, 16, 4, 128, 1024, 0, 0, 0, true, true},
      {"fused 1024 x16", 16, 64, 16, 4, 128, 1024, 0, 0, 0, true, true},
      {"step 8192 x1", 1, 32, 16, 4, 128, 8192, 0, 0, 0, true, true},
      {"step 8192 x16", 16, 32, 16, 4, 128, 8192, 0, 0, 0, true, true},
      {"fused 8192 x16", 16, 64, 16, 4, 128, 8192, 0, 0, 0, true, true},
      {"fused 8192 x1", 1, 64, 16, 4, 128, 8192, 0, 0, 0, true, true},
      {"step 8192 x64", 64, 32, 16, 4, 128, 8192, 0, 0, 0, false, true},
  };
  for (auto& c : cases) run(c);
  if (!small) for (auto& c : timed) run(c);
  if (!small) {
    for (int sp : {1, 2, 3, 4, 6, 8}) { Case c{"tune step 8192 x16", 16, 32, 16, 4, 128, 8192, 0, 0, sp, false, true}; run(c); }
    for (int sp : {1, 2, 4}) { Case c{"tune fused 8192 x16", 16, 64, 16, 4, 128, 8192, 0, 0, sp, false, true}; run(c); }
    for (int sp : {8, 16, 32, 64}) { Case c{"tune step 8192 x1", 1, 32, 16, 4, 128, 8192, 0, 0, sp, false, true}; run(c); }
    for (int sp : {2, 4, 8, 16}) { Case c{"tune step 1024 x1", 1, 32, 16, 4, 128, 1024, 0, 0, sp, false, true}; run(c); }
    for (int sp : {1, 2, 4}) { Case c{"tune step 1024 x16", 16, 32, 16, 4, 128, 1024, 0, 0, sp, false, true}; run(c); }
  }
  printf("%s: %d failed\n", failures == 0 ? "PASS" : "FAIL", failures);
  return failures == 0 ? 0 : 1;
}
