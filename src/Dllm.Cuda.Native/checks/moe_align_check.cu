// GPU check of moe_align.cu on the CUDA host (eng/gpu/kernel-check.sh builds and runs it): the kernel's layout of a MoE
// layer's routed (token, slot) pairs by expert against a host reference computed another way (std::stable_sort of the
// pair indices by expert id, ends from a histogram and its prefix sum), compared exactly: ends, token_of_row and
// row_of_pair must equal the stable sort's element for element. Cases: k = 8 over 256 experts for T = 1, 4, 16, 32, 64,
// 512, 2048 and 16384 tokens (k distinct uniform experts a token, as a real top-k routes), odd pair counts (not
// multiples of the kernel's 16 warps or 32 lanes), skewed routing (80 % of the pairs to 3 experts), all pairs to one
// expert (the first, a middle one, the last), E = 1, E = 512, k = 1, k = 6 over 64 experts; pairs = 0 (must return 0
// and write nothing); and the inputs it refuses (E = 0, E = 513, k = 0, pairs not a multiple of k, pairs = -1: -2).
// Every output buffer is filled with 0xff bytes before the launch and has 64 guard elements past its end, which must
// stay untouched. Every case runs without and with the pass table (grouped_mma.cu's work list: an entry
// `pass << 16 | expert` for each pass of 64 rows, or of 1 or 7 in some cases, of each expert's rows, experts in order,
// then -1 up to dllm_moe_align_table_entries), the table compared exactly with one built here from the reference's
// ends. A row prints PASS when the outputs equal the reference, the guards are intact, and (a check of
// its own, for the diagnosis when they are not) the kernel's outputs are a layout at all: row_of_pair a permutation,
// token_of_row[row_of_pair[p]] == p / k, and each pair's row inside its expert's range of ends. Then, unless `small`,
// the kernel's GPU time (CUDA events, 200 launches after 20 of warm-up, µs a launch) for T = 1, 16, 64, 512 and 16384
// at k = 8, E = 256, with the outputs checked again after the timed launches.
#include <cuda_runtime.h>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

extern "C" int dllm_launch_moe_align(const int64_t* experts, int pairs, int k, int num_experts, int32_t* ends,
                                     int64_t* token_of_row, int64_t* row_of_pair, int32_t* pass_table,
                                     int table_entries, int rows_per_pass, cudaStream_t stream);
extern "C" int dllm_moe_align_table_entries(int pairs, int num_experts, int rows_per_pass);

#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { printf("CUDA %s at %d: %s\n", #x, __LINE__, cudaGetErrorString(e_)); exit(1); } } while (0)

constexpr int kGuard = 64;  // elements past the end of every output buffer that must stay 0xff
int failures = 0;
uint64_t rng_state = 88172645463325252ull;
uint32_t rng() { rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17; return (uint32_t)(rng_state >> 11); }

struct Case {
  std::string name;
  int tokens, k, E;
  std::vector<int64_t> experts;  // [tokens * k]
  bool time;
  int rows_per_pass = 64;        // of the pass table
};

// k distinct uniform experts for each of `tokens` tokens (a top-k's routing).
std::vector<int64_t> distinct(int tokens, int k, int E) {
  std::vector<int64_t> x((size_t)tokens * k);
  for (int t = 0; t < tokens; ++t)
    for (int j = 0; j < k; ++j) {
      int64_t e;
      bool seen;
      do {
        e = (int64_t)(rng() % (uint32_t)E);
        seen = false;
        for (int i = 0; i < j; ++i) seen |= x[(size_t)t * k + i] == e;
      } while (seen);
      x[(size_t)t * k + j] = e;
    }
  return x;
}

// Each pair independently: with probability 0.8 one of the experts `hot`, otherwise uniform over E (repeats within a
// token allowed: 80 % of 8 slots cannot go to 3 distinct experts; the kernel does not assume distinct slots).
std::vector<int64_t> skewed(int tokens, int k, int E, const std::vector<int>& hot) {
  std::vector<int64_t> x((size_t)tokens * k);
  for (auto& e : x) e = rng() % 10 < 8 ? hot[rng() % hot.size()] : (int64_t)(rng() % (uint32_t)E);
  return x;
}

std::vector<int64_t> constant(int tokens, int k, int64_t e) { return std::vector<int64_t>((size_t)tokens * k, e); }

// The stable sort's layout: pair indices sorted by expert, equal experts in pair order.
void reference(const std::vector<int64_t>& experts, int k, int E, std::vector<int32_t>& ends, std::vector<int64_t>& token_of_row,
               std::vector<int64_t>& row_of_pair) {
  const size_t pairs = experts.size();
  std::vector<int64_t> order(pairs);
  std::iota(order.begin(), order.end(), (int64_t)0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return experts[a] < experts[b]; });
  token_of_row.assign(pairs, 0);
  row_of_pair.assign(pairs, 0);
  for (size_t r = 0; r < pairs; ++r) {
    token_of_row[r] = order[r] / k;
    row_of_pair[order[r]] = (int64_t)r;
  }
  std::vector<int64_t> counts(E, 0);
  for (int64_t e : experts) ++counts[e];
  ends.assign(E, 0);
  int64_t total = 0;
  for (int e = 0; e < E; ++e) { total += counts[e]; ends[e] = (int32_t)total; }
}

// The pass table for those ends, from its definition: each expert's passes in order, then -1 up to `entries`.
std::vector<int32_t> reference_table(const std::vector<int32_t>& ends, int rows_per_pass, int entries) {
  std::vector<int32_t> table;
  for (size_t e = 0; e < ends.size(); ++e) {
    const int rows = ends[e] - (e == 0 ? 0 : ends[e - 1]);
    for (int p = 0; p * rows_per_pass < rows; ++p) table.push_back(p << 16 | (int32_t)e);
  }
  if ((int)table.size() > entries) { printf("the reference table has %zu entries, more than %d\n", table.size(), entries); exit(1); }
  table.resize(entries, -1);
  return table;
}

struct Buffers {
  int64_t* experts = nullptr;
  int32_t* ends = nullptr;
  int64_t* token_of_row = nullptr;
  int64_t* row_of_pair = nullptr;
  int32_t* pass_table = nullptr;
  size_t pairs = 0, E = 0, entries = 0;
  void alloc(size_t p, size_t e, size_t table_entries) {
    pairs = p; E = e; entries = table_entries;
    CK(cudaMalloc(&experts, std::max<size_t>(p, 1) * 8));
    CK(cudaMalloc(&ends, (e + kGuard) * 4));
    CK(cudaMalloc(&token_of_row, (p + kGuard) * 8));
    CK(cudaMalloc(&row_of_pair, (p + kGuard) * 8));
    CK(cudaMalloc(&pass_table, (table_entries + kGuard) * 4));
  }
  void poison(cudaStream_t s) {
    CK(cudaMemsetAsync(ends, 0xff, (E + kGuard) * 4, s));
    CK(cudaMemsetAsync(token_of_row, 0xff, (pairs + kGuard) * 8, s));
    CK(cudaMemsetAsync(row_of_pair, 0xff, (pairs + kGuard) * 8, s));
    CK(cudaMemsetAsync(pass_table, 0x7f, (entries + kGuard) * 4, s));  // not -1: an unwritten -1 entry must show
  }
  void release() { cudaFree(experts); cudaFree(ends); cudaFree(token_of_row); cudaFree(row_of_pair); cudaFree(pass_table); }
};

// Copies the outputs (with their guards) back and compares them with the reference; prints the verdict fields and
// returns whether the row passes.
// With ref_table (not null), the pass table too (its guards must keep their 0x7f bytes); without, the table buffer must be
// untouched.
bool verify(const Buffers& b, const std::vector<int64_t>& experts, int k, int E, const std::vector<int32_t>& ref_ends,
            const std::vector<int64_t>& ref_tor, const std::vector<int64_t>& ref_rop, const std::vector<int32_t>* ref_table) {
  const size_t pairs = experts.size();
  std::vector<int32_t> ends(E + kGuard);
  std::vector<int64_t> tor(pairs + kGuard), rop(pairs + kGuard);
  CK(cudaMemcpy(ends.data(), b.ends, ends.size() * 4, cudaMemcpyDeviceToHost));
  CK(cudaMemcpy(tor.data(), b.token_of_row, tor.size() * 8, cudaMemcpyDeviceToHost));
  CK(cudaMemcpy(rop.data(), b.row_of_pair, rop.size() * 8, cudaMemcpyDeviceToHost));
  size_t bad_ends = 0, bad_tor = 0, bad_rop = 0, guards = 0, not_layout = 0;
  long first_ends = -1, first_tor = -1, first_rop = -1;
  for (int e = 0; e < E; ++e)
    if (ends[e] != ref_ends[e]) { if (!bad_ends++) first_ends = e; }
  for (size_t i = 0; i < pairs; ++i) {
    if (tor[i] != ref_tor[i]) { if (!bad_tor++) first_tor = (long)i; }
    if (rop[i] != ref_rop[i]) { if (!bad_rop++) first_rop = (long)i; }
  }
  for (int i = 0; i < kGuard; ++i) {
    guards += ends[E + i] != -1;
    guards += tor[pairs + i] != -1;
    guards += rop[pairs + i] != -1;
  }
  // Is the kernel's output a layout at all (whatever its order)? Implied by exact equality; counted for the diagnosis.
  std::vector<char> hit(pairs, 0);
  for (size_t p = 0; p < pairs; ++p) {
    const int64_t r = rop[p], e = experts[p];
    if (r < 0 || r >= (int64_t)pairs || hit[r]) { ++not_layout; continue; }
    hit[r] = 1;
    const int64_t lo = e == 0 ? 0 : ends[e - 1], hi = ends[e];
    if (tor[r] != (int64_t)p / k || r < lo || r >= hi) ++not_layout;
  }
  std::vector<int32_t> table(b.entries + kGuard);
  CK(cudaMemcpy(table.data(), b.pass_table, table.size() * 4, cudaMemcpyDeviceToHost));
  size_t bad_table = 0;
  long first_table = -1;
  for (size_t q = 0; q < table.size(); ++q) {
    const bool want_written = ref_table != nullptr && q < b.entries;
    const bool wrong = want_written ? table[q] != (*ref_table)[q] : table[q] != 0x7f7f7f7f;
    if (wrong && !bad_table++) first_table = (long)q;
  }
  const bool ok = bad_ends == 0 && bad_tor == 0 && bad_rop == 0 && guards == 0 && not_layout == 0 && bad_table == 0;
  printf("| ends %zu wrong (first %ld) token_of_row %zu (first %ld) row_of_pair %zu (first %ld) guards-touched %zu not-a-layout %zu "
         "pass table %zu wrong (first %ld) %s",
         bad_ends, first_ends, bad_tor, first_tor, bad_rop, first_rop, guards, not_layout, bad_table, first_table, ok ? "PASS" : "FAIL");
  return ok;
}

void run(const Case& c, bool small, cudaStream_t stream) {
  const int pairs = c.tokens * c.k, E = c.E, k = c.k;
  if ((size_t)pairs != c.experts.size()) { printf("%s: %zu experts for %d pairs\n", c.name.c_str(), c.experts.size(), pairs); exit(1); }
  std::vector<int32_t> ref_ends;
  std::vector<int64_t> ref_tor, ref_rop;
  reference(c.experts, k, E, ref_ends, ref_tor, ref_rop);
  int touched = 0, largest = 0;
  for (int e = 0; e < E; ++e) {
    const int n = ref_ends[e] - (e == 0 ? 0 : ref_ends[e - 1]);
    touched += n > 0;
    largest = std::max(largest, n);
  }
  const int entries = dllm_moe_align_table_entries(pairs, E, c.rows_per_pass);
  if (entries < 0) { printf("%s: no pass table for %d pairs\n", c.name.c_str(), pairs); exit(1); }
  const std::vector<int32_t> ref_table = reference_table(ref_ends, c.rows_per_pass, entries);
  Buffers b;
  b.alloc(pairs, E, entries);
  CK(cudaMemcpyAsync(b.experts, c.experts.data(), (size_t)pairs * 8, cudaMemcpyHostToDevice, stream));
  auto launch_with = [&](bool table) {
    return dllm_launch_moe_align(b.experts, pairs, k, E, b.ends, b.token_of_row, b.row_of_pair, table ? b.pass_table : nullptr,
                                 table ? entries : 0, c.rows_per_pass, stream);
  };
  auto launch = [&] { return launch_with(true); };
  bool ok = true;
  int st = 0;
  for (bool table : {false, true}) {
    b.poison(stream);
    printf("%-30s T=%5d k=%d E=%3d pairs=%6d (experts touched %3d, largest %6d) %s ", c.name.c_str(), c.tokens, k, E, pairs,
           touched, largest, (table ? "table of " + std::to_string(entries) + " (" + std::to_string(c.rows_per_pass) + " rows a pass)" : std::string("no table")).c_str());
    st = launch_with(table);
    bool row_ok;
    if (st != 0) {
      printf("| launch returned %d FAIL", st);
      row_ok = false;
    } else {
      CK(cudaStreamSynchronize(stream));
      CK(cudaGetLastError());
      row_ok = verify(b, c.experts, k, E, ref_ends, ref_tor, ref_rop, table ? &ref_table : nullptr);
    }
    failures += row_ok ? 0 : 1;
    ok &= row_ok;
    printf("\n");
  }

  if (c.time && !small && ok) {
    cudaEvent_t e0, e1; CK(cudaEventCreate(&e0)); CK(cudaEventCreate(&e1));
    const int warmup = 20, reps = 200;
    for (int i = 0; i < warmup; ++i) if (launch()) { printf("launch failed\n"); exit(1); }
    b.poison(stream);  // the timed launches must rewrite every output
    float ms = 0;
    CK(cudaEventRecord(e0, stream));
    for (int r = 0; r < reps; ++r) launch();
    CK(cudaEventRecord(e1, stream));
    CK(cudaEventSynchronize(e1)); CK(cudaEventElapsedTime(&ms, e0, e1)); CK(cudaGetLastError());
    printf("  time %-25s %8.2f us a launch with the pass table (%d launches) ", c.name.c_str(), ms * 1000.0 / reps, reps);
    const bool again = verify(b, c.experts, k, E, ref_ends, ref_tor, ref_rop, &ref_table);
    failures += again ? 0 : 1;
    printf("\n");
    CK(cudaEventDestroy(e0)); CK(cudaEventDestroy(e1));
  }
  b.release();
}

int main(int argc, char** argv) {
  const bool small = argc > 1 && !strcmp(argv[1], "small");
  int sms = 0;
  CK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  cudaStream_t stream;
  CK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));

  // Refused inputs: -2, nothing launched or read (null pointers).
  struct Refused { const char* name; int pairs, k, E; };
  const Refused refused[] = {{"E=0", 64, 8, 0},          {"E=513", 64, 8, 513},       {"E=-1", 64, 8, -1},
                             {"k=0", 64, 0, 256},        {"k=-1", 64, -1, 256},       {"pairs=12 k=8", 12, 8, 256},
                             {"pairs=7 k=6", 7, 6, 64},  {"pairs=-1", -1, 1, 256},    {"pairs=-8 k=8", -8, 8, 256}};
  printf("SMs %d; refused inputs:", sms);
  for (const Refused& r : refused) {
    const int got = dllm_launch_moe_align(nullptr, r.pairs, r.k, r.E, nullptr, nullptr, nullptr, nullptr, 0, 64, stream);
    const bool ok = got == -2;
    failures += ok ? 0 : 1;
    printf(" %s -> %d %s;", r.name, got, ok ? "PASS" : "FAIL");
  }
  // A pass table shorter than the bound, of rows_per_pass < 1, or of pass indices past 15 bits: -2, nothing launched.
  struct RefusedTable { const char* name; int pairs, k, E, entries, rows_per_pass; };
  const RefusedTable refused_tables[] = {{"table 263 < 264 entries", 512, 8, 256, 263, 64},
                                         {"table rows_per_pass=0", 512, 8, 256, 1000, 0},
                                         {"table of 2^21 pairs, 1 row a pass", 1 << 21, 8, 256, 1 << 22, 1}};
  int32_t dummy = 0;
  for (const RefusedTable& r : refused_tables) {
    const int got = dllm_launch_moe_align(nullptr, r.pairs, r.k, r.E, nullptr, nullptr, nullptr, &dummy, r.entries, r.rows_per_pass, stream);
    const bool ok = got == -2;
    failures += ok ? 0 : 1;
    printf(" %s -> %d %s;", r.name, got, ok ? "PASS" : "FAIL");
  }
  // The table's size: pairs / R + min(E, pairs); -1 when a pass index would not fit.
  struct Size { int pairs, E, R, want; };
  const Size sizes[] = {{0, 256, 64, 0}, {8, 256, 64, 8}, {256, 256, 64, 260}, {4096, 256, 64, 320}, {65536, 256, 64, 1280},
                        {32767 * 64, 256, 64, 32767 + 256}, {32767 * 64 + 1, 256, 64, -1}, {100, 512, 7, 114}};
  for (const Size& z : sizes) {
    const int got = dllm_moe_align_table_entries(z.pairs, z.E, z.R);
    const bool ok = got == z.want;
    failures += ok ? 0 : 1;
    printf(" entries(%d pairs, E=%d, R=%d) -> %d %s;", z.pairs, z.E, z.R, got, ok ? "PASS" : "FAIL");
  }
  printf("\n");
  CK(cudaStreamSynchronize(stream));
  CK(cudaGetLastError());

  // pairs = 0: returns 0 and writes nothing (all of each poisoned buffer, guards included, stays 0xff).
  for (int E : {1, 256, 512}) {
    Buffers b;
    b.alloc(0, E, 0);
    b.poison(stream);
    const int got = dllm_launch_moe_align(b.experts, 0, 8, E, b.ends, b.token_of_row, b.row_of_pair, b.pass_table, 0, 64, stream);
    CK(cudaStreamSynchronize(stream));
    CK(cudaGetLastError());
    std::vector<int32_t> ends(E + kGuard);
    std::vector<int64_t> tor(kGuard), rop(kGuard);
    CK(cudaMemcpy(ends.data(), b.ends, ends.size() * 4, cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(tor.data(), b.token_of_row, tor.size() * 8, cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(rop.data(), b.row_of_pair, rop.size() * 8, cudaMemcpyDeviceToHost));
    size_t touched = 0;
    for (int32_t v : ends) touched += v != -1;
    for (int64_t v : tor) touched += v != -1;
    for (int64_t v : rop) touched += v != -1;
    const bool ok = got == 0 && touched == 0;
    failures += ok ? 0 : 1;
    printf("%-30s T=    0 k=8 E=%3d pairs=     0 | returned %d, elements written %zu %s\n", "no pairs", E, got, touched, ok ? "PASS" : "FAIL");
    b.release();
  }

  std::vector<Case> cases;
  for (int T : {1, 4, 16, 32, 64, 512, 2048, 16384}) {
    const bool timed = T == 1 || T == 16 || T == 64 || T == 512 || T == 16384;
    cases.push_back({"top-8 of 256 T=" + std::to_string(T), T, 8, 256, distinct(T, 8, 256), timed});
  }
  cases.push_back({"top-8 of 256 T=3 (24 pairs)", 3, 8, 256, distinct(3, 8, 256), false});
  cases.push_back({"top-8 of 256 T=1001", 1001, 8, 256, distinct(1001, 8, 256), false});
  cases.push_back({"top-8 of 256 T=4099", 4099, 8, 256, distinct(4099, 8, 256), false});
  cases.push_back({"skewed 80% to 3 T=64", 64, 8, 256, skewed(64, 8, 256, {7, 100, 255}), false});
  cases.push_back({"skewed 80% to 3 T=2048", 2048, 8, 256, skewed(2048, 8, 256, {0, 41, 200}), false});
  cases.push_back({"skewed 80% to 3 T=16384", 16384, 8, 256, skewed(16384, 8, 256, {3, 4, 250}), false});
  cases.push_back({"all to expert 0 T=2048", 2048, 8, 256, constant(2048, 8, 0), false});
  cases.push_back({"all to expert 97 T=16384", 16384, 8, 256, constant(16384, 8, 97), false});
  cases.push_back({"all to expert 255 T=5", 5, 8, 256, constant(5, 8, 255), false});
  cases.push_back({"E=1 k=8 T=1", 1, 8, 1, constant(1, 8, 0), false});
  cases.push_back({"E=1 k=8 T=777", 777, 8, 1, constant(777, 8, 0), false});
  cases.push_back({"E=1 k=1 T=3", 3, 1, 1, constant(3, 1, 0), false});
  cases.push_back({"top-8 of 512 T=1", 1, 8, 512, distinct(1, 8, 512), false});
  cases.push_back({"top-8 of 512 T=4096", 4096, 8, 512, distinct(4096, 8, 512), false});
  cases.push_back({"all to expert 511 of 512 T=100", 100, 8, 512, constant(100, 8, 511), false});
  cases.push_back({"top-1 of 256 T=1", 1, 1, 256, distinct(1, 1, 256), false});
  cases.push_back({"top-1 of 256 T=5000", 5000, 1, 256, distinct(5000, 1, 256), false});
  cases.push_back({"top-1 of 512 T=16384", 16384, 1, 512, distinct(16384, 1, 512), false});
  cases.push_back({"top-6 of 64 T=1", 1, 6, 64, distinct(1, 6, 64), false});
  cases.push_back({"top-6 of 64 T=333", 333, 6, 64, distinct(333, 6, 64), false});
  cases.push_back({"top-6 of 64 T=8192", 8192, 6, 64, distinct(8192, 6, 64), false});
  // Other pass sizes: one row a pass (an entry per pair), and 7.
  cases.push_back({"top-8 of 256 T=64, 1 row a pass", 64, 8, 256, distinct(64, 8, 256), false, 1});
  cases.push_back({"skewed T=2048, 7 rows a pass", 2048, 8, 256, skewed(2048, 8, 256, {0, 41, 200}), false, 7});
  cases.push_back({"all to expert 511 T=1000, 7 rows", 1000, 8, 512, constant(1000, 8, 511), false, 7});
  for (const Case& c : cases) run(c, small, stream);
  CK(cudaStreamDestroy(stream));
  printf("%s: %d failed\n", failures == 0 ? "PASS" : "FAIL", failures);
  return failures == 0 ? 0 : 1;
}
