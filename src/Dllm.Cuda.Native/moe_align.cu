// The expert layout of a MoE layer's routed pairs in one kernel, in place of the sort, searchsorted, division and second
// sort the grouped-GEMM path issued as torch ops (about ten kernels a layer): the (token, slot) pairs, p = token * k + j,
// ordered by expert as a stable sort would order them.
//   ends[e]          inclusive cumulative count of pairs per expert (the pairs of expert e are sorted rows
//                    ends[e-1] .. ends[e]-1), int32;
//   token_of_row[r]  the token (p / k) of the pair at sorted row r, int64 (the rows to gather);
//   row_of_pair[p]   the sorted row of pair p, int64 (the inverse permutation: the outputs back in pair order);
//   pass_table[q]    optional: the work list of grouped_mma.cu, an entry `pass << 16 | expert` for each pass of at most
//                    rows_per_pass rows of each expert's rows (ceil(rows / rows_per_pass) passes an expert), experts in
//                    order, then -1 up to table_entries.
// One CUDA block of 16 warps, whatever the pair count (graph-capturable, no host sync):
// 1. the pairs are cut into 16 contiguous segments, one a warp; each warp counts its segment's pairs per expert into
//    its own column of a shared table [expert][warp] (shared atomics);
// 2. one exclusive scan of that table in expert-major, warp-minor order gives each (expert, warp) its first row, so
//    within an expert the rows go to the warps' segments in pair order; ends follow from it;
// 3. each warp walks its segment again, 32 pairs at a time in order: lanes of one expert find each other
//    (__match_any_sync), take consecutive rows in lane order after the expert's running row, and the lowest of them
//    advances it. Rows within an expert therefore follow pair order: the layout is the stable sort's.
// Between 2 and 3, with a pass table: a thread an expert counts its passes, one more block scan gives each expert its
// first entry, and each entry finds its expert by a binary search of those firsts.
// Expert ids must lie in [0, num_experts) (the router's output); num_experts at most 512.
#include <cuda_runtime.h>
#include <cstdint>

#include "dependent_launch.cuh"

namespace {

constexpr int kWarps = 16;
constexpr int kThreads = kWarps * 32;
constexpr int kMaxExperts = 512;

// The exclusive prefix sum of value over the block's threads in thread order; every thread must call it. totals
// [kWarps + 1] of shared memory (the block's total is left in totals[kWarps]).
__device__ int block_exclusive_scan(int value, int* totals) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  int inclusive = value;
  for (int offset = 1; offset < 32; offset <<= 1) {
    const int v = __shfl_up_sync(0xffffffffu, inclusive, offset);
    if (lane >= offset) inclusive += v;
  }
  if (lane == 31) totals[warp] = inclusive;
  __syncthreads();
  if (warp == 0) {
    const int total = lane < kWarps ? totals[lane] : 0;
    int scanned = total;
    for (int offset = 1; offset < 32; offset <<= 1) {
      const int v = __shfl_up_sync(0xffffffffu, scanned, offset);
      if (lane >= offset) scanned += v;
    }
    if (lane < kWarps) totals[lane] = scanned - total;  // exclusive
    if (lane == kWarps - 1) totals[kWarps] = scanned;
  }
  __syncthreads();
  const int exclusive = totals[warp] + inclusive - value;
  __syncthreads();  // totals may be reused once every thread has read its warp's
  return exclusive;
}

__global__ void __launch_bounds__(kThreads) moe_align_kernel(const int64_t* __restrict__ experts, int pairs, int k,
                                                             int num_experts, int32_t* __restrict__ ends,
                                                             int64_t* __restrict__ token_of_row,
                                                             int64_t* __restrict__ row_of_pair,
                                                             int32_t* __restrict__ pass_table, int table_entries,
                                                             int rows_per_pass) {
  __shared__ int table[kMaxExperts * kWarps];  // [expert][warp]: counts, then first rows, then running rows
  __shared__ int totals[kWarps + 1];
  __shared__ int first_pass[kMaxExperts];
  dllm_launch::enter_kernel();
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int entries = num_experts * kWarps;
  for (int i = tid; i < entries; i += kThreads) table[i] = 0;
  __syncthreads();

  // 1. Counts per (expert, warp segment).
  const int segment = (pairs + kWarps - 1) / kWarps;
  const int begin = min(pairs, warp * segment), end = min(pairs, begin + segment);
  for (int p = begin + lane; p < end; p += 32) atomicAdd(&table[(int)experts[p] * kWarps + warp], 1);
  __syncthreads();

  // 2. Exclusive scan of the table in index order: each thread sums a run of entries, the runs' sums are scanned
  //    across the block, and each run is rewritten as first rows.
  const int per_thread = (entries + kThreads - 1) / kThreads;
  const int first = min(entries, tid * per_thread), last = min(entries, first + per_thread);
  int sum = 0;
  for (int i = first; i < last; ++i) sum += table[i];
  int row = block_exclusive_scan(sum, totals);
  for (int i = first; i < last; ++i) {
    const int count = table[i];
    table[i] = row;
    row += count;
  }
  __syncthreads();
  for (int e = tid; e < num_experts; e += kThreads) ends[e] = e + 1 < num_experts ? table[(e + 1) * kWarps] : pairs;

  // The pass table (num_experts <= kThreads: a thread an expert), from the first rows before step 3 advances them.
  if (pass_table != nullptr) {
    int passes = 0;
    if (tid < num_experts) {
      const int rows = (tid + 1 < num_experts ? table[(tid + 1) * kWarps] : pairs) - table[tid * kWarps];
      passes = (rows + rows_per_pass - 1) / rows_per_pass;
    }
    const int first_entry = block_exclusive_scan(passes, totals);
    if (tid < num_experts) first_pass[tid] = first_entry;
    const int used = totals[kWarps];
    __syncthreads();
    for (int q = tid; q < table_entries; q += kThreads) {
      if (q >= used) {
        pass_table[q] = -1;
        continue;
      }
      // The last expert whose first entry is <= q (an expert without passes shares its first with the next one).
      int lo = 0, hi = num_experts;  // first_pass[lo] <= q < first_pass[hi] (first_pass[num_experts] = used)
      while (hi - lo > 1) {
        const int mid = (lo + hi) / 2;
        if (first_pass[mid] <= q) lo = mid; else hi = mid;
      }
      pass_table[q] = (q - first_pass[lo]) << 16 | lo;
    }
  }
  __syncthreads();  // ends and the pass table read the first rows before step 3 advances them

  // 3. Rows, in pair order within each warp's segment (the loop bounds are the same for every lane of a warp).
  for (int base = begin; base < end; base += 32) {
    const int p = base + lane;
    const bool active = p < end;
    const int e = active ? (int)experts[p] : -1;
    const unsigned peers = __match_any_sync(0xffffffffu, e);
    const int rank = __popc(peers & ((1u << lane) - 1u));
    const int start = active ? table[e * kWarps + warp] : 0;
    __syncwarp();
    if (active) {
      const int r = start + rank;
      token_of_row[r] = p / k;
      row_of_pair[p] = r;
      if (rank == 0) table[e * kWarps + warp] = start + __popc(peers);
    }
    __syncwarp();
  }
}

}  // namespace

// The entries a pass table needs at most for `pairs` pairs over num_experts experts in passes of rows_per_pass rows:
// every pair's share of a full pass plus one partial pass per touched expert. -1 when an entry could not hold a pass
// index (more than 32767 passes of one expert).
extern "C" int dllm_moe_align_table_entries(int pairs, int num_experts, int rows_per_pass) {
  if (pairs < 0 || num_experts < 1 || rows_per_pass < 1) return -1;
  if ((pairs + rows_per_pass - 1) / rows_per_pass > 32767) return -1;
  return pairs / rows_per_pass + (pairs < num_experts ? pairs : num_experts);
}

// Returns 0, a CUDA error code, or -2 when num_experts is outside 1..512, k < 1, pairs < 0 or not a multiple of k, or
// (with a pass table) rows_per_pass < 1 or table_entries below dllm_moe_align_table_entries. pairs == 0 launches nothing.
extern "C" int dllm_launch_moe_align(const int64_t* experts, int pairs, int k, int num_experts, int32_t* ends,
                                     int64_t* token_of_row, int64_t* row_of_pair, int32_t* pass_table,
                                     int table_entries, int rows_per_pass, cudaStream_t stream) {
  if (num_experts < 1 || num_experts > kMaxExperts || k < 1 || pairs < 0 || pairs % k != 0) return -2;
  if (pass_table != nullptr) {
    const int needed = dllm_moe_align_table_entries(pairs, num_experts, rows_per_pass);
    if (needed < 0 || table_entries < needed) return -2;
  }
  if (pairs == 0) return 0;
  return (int)dllm_launch::launch(moe_align_kernel, dim3(1), dim3(kThreads), 0, stream, experts, pairs, k, num_experts, ends,
                                  token_of_row, row_of_pair, pass_table, table_entries, rows_per_pass);
}
