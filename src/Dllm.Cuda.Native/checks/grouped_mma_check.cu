// GPU check of grouped_mma.cu on the CUDA host (eng/gpu/kernel-check.sh builds and runs it): the kernel against a
// plain fp32 reference (a block per (group, 64 columns), the group's rows 16 at a time, k through shared memory in
// fp32), over edge cases (group sizes 0, 1, 2, 15, 16, 17, 33, 64, 65, 100, 129; empty groups first and last; all rows
// in one group; one group; rows past the last group's end, which must stay untouched; K and N of 64, partial N tiles,
// K not a multiple of 128), the serving shapes of LLaDA2.0-mini's MoE layer (256 experts, gate+up N = 1024 K = 2048,
// down N = 2048 K = 512, M = 256 b rows for b = 1, 4, 16, 64, routed top-8 over skewed expert popularity, and "masked"
// ones where half of each block's tokens, the mask id, route among the last 10 experts as alike tokens do), and the shapes it
// refuses (-2). Every case runs twice: on the grid sized from the mean rows, and with a pass table built here on the
// host (as moe_align.cu builds it on the device: an entry per 64-row pass of each group, then -1), which must give the
// same outputs bit for bit; and with the rows gathered in the kernels' loads (a_rows: row m reads row a_rows[m] of a)
// against the rows gathered first, bit for bit, for this kernel and (at the serving shapes) grouped_gemv.cu. A row
// prints PASS when every output row inside a group is finite, every row outside is untouched, the largest difference
// is under 1 % of the largest output and the runs agree. Then, unless `small`, the GPU time of the kernel with and
// without the table and of grouped_gemv.cu at the serving shapes, with the bytes they must move (touched experts'
// weights + a + out) per second and the time those bytes take at 4.8 TB/s.
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern "C" int dllm_launch_grouped_mma(const void*, const int64_t*, const void*, const int*, const int*, int, void*, int, int, int, int,
                                       cudaStream_t);
extern "C" int dllm_grouped_mma_rows_per_pass();
extern "C" int dllm_launch_grouped_gemv(const void*, const int64_t*, const void*, const int*, void*, int, int, int, cudaStream_t);

#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { printf("CUDA %s at %d: %s\n", #x, __LINE__, cudaGetErrorString(e_)); exit(1); } } while (0)
using bf16 = __nv_bfloat16;

__global__ void fill(bf16* p, size_t n, uint32_t seed, float amp) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
    uint32_t x = (uint32_t)i * 2654435761u ^ seed; x ^= x >> 15; x *= 2246822519u; x ^= x >> 13; x *= 3266489917u; x ^= x >> 16;
    x ^= (uint32_t)(i >> 32) * 0x9e3779b9u;
    p[i] = __float2bfloat16(((x & 0xffffff) / 16777215.0f * 2.0f - 1.0f) * amp);
  }
}

// ref[m, n] for the rows m of group blockIdx.y and columns n of 64 from blockIdx.x * 64; 256 threads, each 4 rows of
// a 16-row chunk at one column. K % 32 == 0, N % 64 == 0.
__global__ void reference(const bf16* a, const bf16* w, const int* ends, float* ref, int N, int K) {
  __shared__ float sa[16][32];
  __shared__ float sw[64][33];
  const int g = blockIdx.y, n0 = blockIdx.x * 64, tid = threadIdx.x, col = tid % 64, r0 = tid / 64 * 4;
  const int begin = g == 0 ? 0 : ends[g - 1], end = ends[g];
  for (int m0 = begin; m0 < end; m0 += 16) {
    float acc[4] = {0, 0, 0, 0};
    for (int k0 = 0; k0 < K; k0 += 32) {
      __syncthreads();
      for (int i = tid; i < 16 * 32; i += 256) {
        const int r = i / 32, k = i % 32;
        sa[r][k] = m0 + r < end ? __bfloat162float(a[(size_t)(m0 + r) * K + k0 + k]) : 0.0f;
      }
      for (int i = tid; i < 64 * 32; i += 256) {
        const int r = i / 32, k = i % 32;
        sw[r][k] = __bfloat162float(w[((size_t)g * N + n0 + r) * K + k0 + k]);
      }
      __syncthreads();
      for (int k = 0; k < 32; ++k) {
        const float wv = sw[col][k];
        for (int j = 0; j < 4; ++j) acc[j] += sa[r0 + j][k] * wv;
      }
    }
    for (int j = 0; j < 4; ++j)
      if (m0 + r0 + j < end) ref[(size_t)(m0 + r0 + j) * N + n0 + col] = acc[j];
  }
}

struct Case {
  std::string name;
  int N, K, M;             // M: a's rows (>= the last end)
  std::vector<int> sizes;  // rows per group
  bool time;
};

int failures = 0;
// The streaming reference the kernel's times compare with: every 16 bytes of `bytes` read once (a grid-stride loop of
// non-coherent 16-byte loads), their xor written per thread so nothing is optimised away.
__global__ void stream_read(const uint4* __restrict__ src, size_t count, uint4* __restrict__ sink) {
  uint4 x = make_uint4(0, 0, 0, 0);
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count; i += (size_t)gridDim.x * blockDim.x) {
    const uint4 v = __ldg(src + i);
    x.x ^= v.x; x.y ^= v.y; x.z ^= v.z; x.w ^= v.w;
  }
  sink[blockIdx.x * (size_t)blockDim.x + threadIdx.x] = x;
}

// gathered[m] = a[rows[m]]: rows of K bf16.
__global__ void gather_rows(const bf16* __restrict__ a, const int64_t* __restrict__ rows, bf16* __restrict__ gathered, int M, int K) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < (size_t)M * K; i += (size_t)gridDim.x * blockDim.x)
    gathered[i] = a[rows[i / K] * K + i % K];
}

// The rows a gathered product reads for row m: another row of a, several rows of the product sharing one (as a token's
// k pairs share its row).
std::vector<int64_t> gather_map(int M) {
  std::vector<int64_t> rows(M);
  for (int m = 0; m < M; ++m) rows[m] = (int64_t)((m * 7 + 3) % M) / 2;
  return rows;
}

uint64_t rng_state = 88172645463325252ull;
uint32_t rng() { rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17; return (uint32_t)(rng_state >> 11); }
double uniform() { return (rng() + 0.5) / 4294967296.0; }  // in (0, 1)

// Rows per expert of 32 b tokens routed top-8 over `experts` experts of skewed popularity (log-normal, sigma 0.5: the
// most popular expert gets ~3x the mean); with `masked`, the first half of the tokens (a block's mask tokens, alike)
// take 8 of the last 10 experts instead (about 13 b rows each; the last groups' blocks start last, where a hot group's
// looped passes add most to the kernel's time without a pass table).
std::vector<int> routed(int b, int experts, bool masked = false) {
  std::vector<double> cum(experts);
  double total = 0;
  for (int e = 0; e < experts; ++e) {
    const double z = sqrt(-2.0 * log(uniform())) * cos(6.283185307179586 * uniform());
    total += exp(0.5 * z);
    cum[e] = total;
  }
  std::vector<int> sizes(experts, 0);
  for (int t = 0; t < 32 * b; ++t) {
    int chosen[8], count = 0;
    const bool mask_token = masked && t < 16 * b;
    while (count < 8) {
      const double x = uniform() * total;
      int e = mask_token ? experts - 10 + (int)(rng() % 10) : (int)(std::lower_bound(cum.begin(), cum.end(), x) - cum.begin());
      e = std::min(e, experts - 1);
      bool seen = false;
      for (int i = 0; i < count; ++i) seen |= chosen[i] == e;
      if (!seen) chosen[count++] = e;
    }
    for (int i = 0; i < 8; ++i) ++sizes[chosen[i]];
  }
  return sizes;
}

float tof(uint16_t u) { uint32_t x = (uint32_t)u << 16; float f; memcpy(&f, &x, 4); return f; }

// The pass table for groups of these sizes over `rows` rows in all, as moe_align.cu defines it: `pass << 16 | group`
// for every pass of every group in group order, then -1 up to rows / R + min(groups, rows) entries.
std::vector<int> pass_table(const std::vector<int>& sizes, int rows) {
  const int R = dllm_grouped_mma_rows_per_pass(), G = (int)sizes.size();
  std::vector<int> table;
  for (int g = 0; g < G; ++g)
    for (int p = 0; p * R < sizes[g]; ++p) table.push_back(p << 16 | g);
  table.resize((size_t)(rows / R + std::min(G, rows)), -1);
  return table;
}

void run(const Case& c, bool small) {
  const int G = (int)c.sizes.size(), N = c.N, K = c.K, M = c.M;
  std::vector<int> ends(G);
  int total = 0, touched = 0, largest = 0;
  for (int g = 0; g < G; ++g) { total += c.sizes[g]; ends[g] = total; touched += c.sizes[g] > 0; largest = std::max(largest, c.sizes[g]); }
  if (total > M) { printf("%s: sizes sum to %d > M = %d\n", c.name.c_str(), total, M); exit(1); }
  const size_t na = (size_t)M * K, nw = (size_t)G * N * K, no = (size_t)M * N;
  const std::vector<int> table = pass_table(c.sizes, total);
  const int entries = (int)table.size();
  bf16 *a, *w, *out, *out_table; float* ref; int *d_ends, *d_table;
  CK(cudaMalloc(&a, std::max<size_t>(na, 8) * 2)); CK(cudaMalloc(&w, nw * 2)); CK(cudaMalloc(&out, std::max<size_t>(no, 8) * 2));
  CK(cudaMalloc(&out_table, std::max<size_t>(no, 8) * 2));
  CK(cudaMalloc(&ref, std::max<size_t>(no, 8) * 4)); CK(cudaMalloc(&d_ends, G * 4)); CK(cudaMalloc(&d_table, std::max(entries, 1) * 4));
  fill<<<1024, 256>>>(a, na, 11 + M, 1.0f); fill<<<4096, 256>>>(w, nw, 7 + K + N, 0.05f);
  CK(cudaMemcpy(d_ends, ends.data(), G * 4, cudaMemcpyHostToDevice));
  if (entries > 0) CK(cudaMemcpy(d_table, table.data(), entries * 4, cudaMemcpyHostToDevice));
  CK(cudaMemset(out, 0xff, no * 2));  // bf16 0xffff: NaN, the mark of an untouched output
  CK(cudaMemset(out_table, 0xff, no * 2));
  CK(cudaMemset(ref, 0, no * 4));
  int st = dllm_launch_grouped_mma(a, nullptr, w, d_ends, nullptr, 0, out, G, N, K, M, 0);
  if (st) { printf("%s: launch returned %d\n", c.name.c_str(), st); exit(1); }
  st = dllm_launch_grouped_mma(a, nullptr, w, d_ends, d_table, entries, out_table, G, N, K, M, 0);
  if (st) { printf("%s: launch with the pass table returned %d\n", c.name.c_str(), st); exit(1); }
  CK(cudaDeviceSynchronize());
  reference<<<dim3((unsigned)(N / 64), (unsigned)G), 256>>>(a, w, d_ends, ref, N, K);
  CK(cudaDeviceSynchronize());
  std::vector<uint16_t> hn(no), ht(no); std::vector<float> hr(no);
  CK(cudaMemcpy(hn.data(), out, no * 2, cudaMemcpyDeviceToHost));
  CK(cudaMemcpy(ht.data(), out_table, no * 2, cudaMemcpyDeviceToHost));
  CK(cudaMemcpy(hr.data(), ref, no * 4, cudaMemcpyDeviceToHost));
  double dn = 0, mx = 0; size_t bad = 0, touched_outside = 0, table_differs = 0;
  for (size_t e = 0; e < no; ++e) {
    table_differs += hn[e] != ht[e];
    if (e / N >= (size_t)total) { touched_outside += hn[e] != 0xffff; continue; }
    const float k = tof(hn[e]), r = hr[e];
    if (!std::isfinite(k)) { ++bad; continue; }
    dn = std::max(dn, (double)fabsf(k - r)); mx = std::max(mx, (double)fabsf(r));
  }
  // The gather in the loads (a_rows) against the product of the rows gathered first: the same bits, in both kernels.
  size_t gather_differs = 0;
  if (M > 0) {
    const std::vector<int64_t> map = gather_map(M);
    int64_t* d_rows; bf16* gathered; bf16* out_gathered;
    CK(cudaMalloc(&d_rows, M * 8)); CK(cudaMalloc(&gathered, na * 2)); CK(cudaMalloc(&out_gathered, no * 2));
    CK(cudaMemcpy(d_rows, map.data(), M * 8, cudaMemcpyHostToDevice));
    gather_rows<<<1024, 256>>>(a, d_rows, gathered, M, K);
    std::vector<uint16_t> first(no), second(no);
    for (int kernel = 0; kernel < (c.time ? 2 : 1); ++kernel) {  // the GEMV kernel at the serving shapes only
      CK(cudaMemset(out, 0xff, no * 2)); CK(cudaMemset(out_gathered, 0xff, no * 2));
      const int s1 = kernel == 0 ? dllm_launch_grouped_mma(a, d_rows, w, d_ends, d_table, entries, out, G, N, K, M, 0)
                                 : dllm_launch_grouped_gemv(a, d_rows, w, d_ends, out, G, N, K, 0);
      const int s2 = kernel == 0 ? dllm_launch_grouped_mma(gathered, nullptr, w, d_ends, d_table, entries, out_gathered, G, N, K, M, 0)
                                 : dllm_launch_grouped_gemv(gathered, nullptr, w, d_ends, out_gathered, G, N, K, 0);
      if (s1 || s2) { printf("%s: gathered launch returned %d / %d\n", c.name.c_str(), s1, s2); exit(1); }
      CK(cudaMemcpy(first.data(), out, no * 2, cudaMemcpyDeviceToHost));
      CK(cudaMemcpy(second.data(), out_gathered, no * 2, cudaMemcpyDeviceToHost));
      for (size_t e = 0; e < (size_t)total * N; ++e) gather_differs += first[e] != second[e];
    }
    cudaFree(d_rows); cudaFree(gathered); cudaFree(out_gathered);
  }
  const bool ok = bad == 0 && touched_outside == 0 && (total == 0 || dn <= 1e-2 * mx) && table_differs == 0 && gather_differs == 0;
  failures += ok ? 0 : 1;
  printf("%-30s G=%3d N=%4d K=%4d M=%5d rows %5d (touched %3d, largest %4d) | max|ref|=%.4f max|kernel-ref|=%.6f nonfinite=%zu "
         "outside-touched=%zu with-table-differs=%zu gathered-differs=%zu %s\n", c.name.c_str(), G, N, K, M, total, touched, largest,
         mx, dn, bad, touched_outside, table_differs, gather_differs, ok ? "PASS" : "FAIL");

  if (c.time && !small) {
    const double bytes = (double)touched * N * K * 2 + (double)total * K * 2 + (double)total * N * 2;
    cudaEvent_t e0, e1; CK(cudaEventCreate(&e0)); CK(cudaEventCreate(&e1));
    const int reps = 20;
    auto timed = [&](auto launch) {
      for (int i = 0; i < 3; ++i) if (launch()) { printf("launch failed\n"); exit(1); }
      float ms = 0;
      CK(cudaEventRecord(e0)); for (int r = 0; r < reps; ++r) launch(); CK(cudaEventRecord(e1));
      CK(cudaEventSynchronize(e1)); CK(cudaEventElapsedTime(&ms, e0, e1)); CK(cudaGetLastError());
      return ms / reps;
    };
    const float t_mma = timed([&] { return dllm_launch_grouped_mma(a, nullptr, w, d_ends, nullptr, 0, out, G, N, K, M, 0); });
    const float t_table = timed([&] { return dllm_launch_grouped_mma(a, nullptr, w, d_ends, d_table, entries, out, G, N, K, M, 0); });
    const float t_gemv = timed([&] { return dllm_launch_grouped_gemv(a, nullptr, w, d_ends, out, G, N, K, 0); });
    printf("  time %-23s %8.1f MB: grouped_mma %.4f ms (%6.0f GB/s), with the pass table %.4f ms (%6.0f GB/s), grouped_gemv %.4f ms "
           "(%6.0f GB/s), 4.8 TB/s floor %.4f ms\n", c.name.c_str(), bytes / 1e6, t_mma, bytes / t_mma / 1e6, t_table,
           bytes / t_table / 1e6, t_gemv, bytes / t_gemv / 1e6, bytes / 4.8e9);
    CK(cudaEventDestroy(e0)); CK(cudaEventDestroy(e1));
  }
  cudaFree(a); cudaFree(w); cudaFree(out); cudaFree(out_table); cudaFree(ref); cudaFree(d_ends); cudaFree(d_table);
}

int main(int argc, char** argv) {
  const bool small = argc > 1 && !strcmp(argv[1], "small");
  int sms = 0;
  CK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  // Refused shapes (nothing is launched or read) and empty launches.
  struct Refused { const char* name; int groups, N, K, M, want; };
  const Refused refused[] = {{"K=96", 4, 128, 96, 8, -2}, {"N=96", 4, 96, 128, 8, -2}, {"K=0", 4, 128, 0, 8, -2},
                             {"N=0", 4, 0, 128, 8, -2}, {"groups=-1", -1, 128, 128, 8, -2}, {"M=-1", 4, 128, 128, -1, -2},
                             {"M=0", 4, 128, 128, 0, 0}, {"groups=0", 0, 128, 128, 8, 0}};
  printf("SMs %d; refused/empty launches:", sms);
  for (const Refused& r : refused) {
    const int got = dllm_launch_grouped_mma(nullptr, nullptr, nullptr, nullptr, nullptr, 0, nullptr, r.groups, r.N, r.K, r.M, 0);
    const bool ok = got == r.want;
    failures += ok ? 0 : 1;
    printf(" %s -> %d %s;", r.name, got, ok ? "PASS" : "FAIL");
  }
  // A pass table of more entries than a grid's y can hold is refused; one of no entries launches nothing.
  int dummy_table = -1;
  struct RefusedTable { const char* name; int entries, want; };
  const RefusedTable refused_tables[] = {{"table entries=65536", 65536, -2}, {"table entries=-1", -1, -2}, {"table entries=0", 0, 0}};
  for (const RefusedTable& r : refused_tables) {
    const int got = dllm_launch_grouped_mma(nullptr, nullptr, nullptr, nullptr, &dummy_table, r.entries, nullptr, 4, 128, 128, 8, 0);
    const bool ok = got == r.want;
    failures += ok ? 0 : 1;
    printf(" %s -> %d %s;", r.name, got, ok ? "PASS" : "FAIL");
  }
  printf("\n");
  CK(cudaGetLastError());

  const std::vector<int> uneven = {0, 1, 2, 15, 16, 17, 33, 64, 100, 65, 129, 0};
  std::vector<int> random_sizes(64);
  for (int& s : random_sizes) s = rng() % 5 == 0 ? 0 : (int)(rng() % 71);
  std::vector<int> one_large(64, 1);  // 1 slot: the 200-row group's block loops over 4 passes x 5 N tiles
  one_large[5] = 200;
  one_large[63] = 70;
  auto sum = [](const std::vector<int>& v) { int t = 0; for (int x : v) t += x; return t; };
  std::vector<Case> cases = {
      {"uneven gate+up", 1024, 2048, sum(uneven), uneven, false},
      {"uneven down", 2048, 512, sum(uneven), uneven, false},
      {"uneven N=64 K=64", 64, 64, sum(uneven), uneven, false},
      {"uneven N=192 K=192", 192, 192, sum(uneven), uneven, false},
      {"uneven N=320 K=128", 320, 128, sum(uneven), uneven, false},
      {"uneven N=640 K=512", 640, 512, sum(uneven), uneven, false},
      {"uneven N=1088 K=256", 1088, 256, sum(uneven), uneven, false},
      {"all rows in one group", 1024, 2048, 300, {0, 0, 0, 300, 0, 0, 0, 0}, false},
      {"all rows in one group K=64", 128, 64, 1000, {0, 1000, 0}, false},
      {"one group", 256, 512, 37, {37}, false},
      {"two large groups (4 slots)", 512, 1024, 512, {256, 256}, false},
      {"rows past the last end", 256, 256, 40, {3, 0, 20, 5}, false},
      {"all groups empty", 256, 256, 16, {0, 0, 0, 0}, false},
      {"random 0..70 x 64", 384, 320, sum(random_sizes), random_sizes, false},
      {"one slot, looping passes", 640, 128, sum(one_large), one_large, false},
  };
  for (int b : {1, 4, 16, 64}) {
    const std::vector<int> sizes = routed(b, 256);
    cases.push_back({"serving gate+up b=" + std::to_string(b), 1024, 2048, 256 * b, sizes, true});
    cases.push_back({"serving down b=" + std::to_string(b), 2048, 512, 256 * b, sizes, true});
  }
  for (int b : {4, 16, 64}) {
    const std::vector<int> sizes = routed(b, 256, true);
    cases.push_back({"masked gate+up b=" + std::to_string(b), 1024, 2048, 256 * b, sizes, true});
    cases.push_back({"masked down b=" + std::to_string(b), 2048, 512, 256 * b, sizes, true});
  }
  for (const Case& c : cases) run(c, small);
  if (!small) {
    // What a plain read of the gate+up weights of 256 experts (1,074 MB, far past L2) takes: the kernel's bound.
    const size_t bytes = (size_t)256 * 1024 * 2048 * 2, count = bytes / 16;
    const int blocks = sms * 8, threads = 256;
    uint4 *src = nullptr, *sink = nullptr;
    CK(cudaMalloc(&src, bytes)); CK(cudaMalloc(&sink, (size_t)blocks * threads * 16));
    CK(cudaMemset(src, 1, bytes));
    cudaEvent_t e0, e1; CK(cudaEventCreate(&e0)); CK(cudaEventCreate(&e1));
    for (int i = 0; i < 3; ++i) stream_read<<<blocks, threads>>>(src, count, sink);
    const int reps = 20;
    float ms = 0;
    CK(cudaEventRecord(e0)); for (int r = 0; r < reps; ++r) stream_read<<<blocks, threads>>>(src, count, sink);
    CK(cudaEventRecord(e1)); CK(cudaEventSynchronize(e1)); CK(cudaEventElapsedTime(&ms, e0, e1)); CK(cudaGetLastError());
    printf("  stream read %.1f MB: %.4f ms (%6.0f GB/s)\n", bytes / 1e6, ms / reps, bytes / (ms / reps) / 1e6);
    CK(cudaEventDestroy(e0)); CK(cudaEventDestroy(e1)); cudaFree(src); cudaFree(sink);
  }
  printf("%s: %d failed\n", failures == 0 ? "PASS" : "FAIL", failures);
  return failures == 0 ? 0 : 1;
}
