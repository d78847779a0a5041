// A grouped matrix product on tensor cores for the routed experts of a MoE layer at 2-64 (and more) rows per expert,
// where the work is streaming each touched expert's weights from memory once. Part of libdllm_cuda.so
// (dllm_cuda_grouped_mma); the engine's GroupedMatmul picks it by rows per expert, between the grouped GEMV and torch's
// grouped GEMM (MmaMaxRowsPerGroup, 64: faster than torch's at 4 and 16 rows per expert on an H200; 64 is predicted).
//   out[m, n] = sum_k a[m, k] * w[g, n, k]   for rows m in [ends[g-1], ends[g]) of group g (ends[-1] = 0)
// a [M, K] bf16 row-major, w [G, N, K] bf16 row-major (each expert's rows as stored), ends int32 [G] on the device,
// out [M, N] bf16 (rows outside every group are left as they are). fp32 accumulation. K and N multiples of 64.
//
// Structure:
// - The product is computed transposed, out^T[n, m] = w[g] a^T, so that the weights are the mma's A operand (16 output
//   columns per fragment) and the tokens its B operand (8 per fragment): rows are padded to 8, not 16.
// - One CUDA block of 4 warps takes (row slot, run of N tiles, group); a tile is 128 output columns (32 per warp), so
//   the grid is sized from M, G, N only (capturable, no host sync) and a block whose group has no rows for it exits at
//   once. A group's rows are cut into passes of at most 64 (equal, multiples of 8); pass p is taken by the block of
//   slot p % slots, and the blocks of one tile's slots are neighbours in launch order, so they run together and read
//   the weights once from memory (the later readers hit L2). A slot with more passes than slots loops over them.
//   Given a pass table (moe_align.cu writes one beside the layout: an entry per pass), the grid is one block per (run
//   of tiles, table entry) instead, so every pass has a block of its own however skewed the groups are (the mask
//   tokens of a diffusion block route alike: at 16 rows per expert on average, a few experts get hundreds).
// - A block streams its stages, (pass, N tile, K tile of kTileK) in order, through a cp.async pipeline of kStages buffers
//   (2 by default: the next stage's copies in flight while the current one is multiplied): each stage is the weights'
//   128 x kTileK tile (16 KB at 64, with an L2 256-byte prefetch hint: the row's next K tile) and the pass's token rows
//   x kTileK (zeros past the last row), rows padded by 16 bytes so ldmatrix reads are conflict-free. With 54 KB of
//   shared memory (2 stages) and at most 128 registers a thread (DLLM_MMA_MIN_BLOCKS) four blocks fit an SM. One
//   barrier per stage.
// - Per K step of 16, a warp loads its two 16 x 16 weight fragments once and applies them to every 8-row column tile
//   of the pass (up to 8: 64 fp32 accumulators a lane), so the weights are read from shared memory once per block.
// - After a tile's last K stage, the accumulators are written as bf16 pairs (a shuffle with the neighbour lane pairs
//   adjacent columns), only for the pass's valid rows and columns, and reset; the pipeline does not stop.
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <cstdint>

#include "dependent_launch.cuh"
#include "tensor_core_ptx.cuh"

namespace {

using namespace dllm_ptx;

using bf16 = __nv_bfloat16;

// The output columns a tile takes are a compile-time knob too (-DDLLM_MMA_TILE_N=64 or 128, the default): at 64 a
// block streams half the weights of a tile, so the gate+up product at 16 rows per expert (2,048 blocks of 512 KB
// over the SMs' block slots, about five waves) ends in a smaller last wave, at the price of each warp's token
// fragments being read from shared memory for 16 columns instead of 32.
#ifndef DLLM_MMA_TILE_N
#define DLLM_MMA_TILE_N 128
#endif
constexpr int kThreads = 128;                     // 4 warps
constexpr int kWarps = kThreads / 32;
constexpr int kTileN = DLLM_MMA_TILE_N;           // output columns (weight rows) per tile
constexpr int kWarpN = kTileN / kWarps;           // 32 per warp (16 at a 64-column tile)
constexpr int kFrags = kWarpN / 16;               // 16-row A fragments a warp: 2 (or 1)
static_assert(kTileN == 64 || kTileN == 128, "tiles of 64 or 128 output columns");
// K per stage, a compile-time knob too (-DDLLM_MMA_TILE_K=64, the default, or 128): at 128 a stage reads 256
// contiguous bytes of each weight row instead of 128 (twice the bytes in flight a stage); K stays a multiple of 64 (a
// last stage of 64 at K % 128 == 64).
#ifndef DLLM_MMA_TILE_K
#define DLLM_MMA_TILE_K 64
#endif
constexpr int kTileK = DLLM_MMA_TILE_K;
static_assert(kTileK == 64 || kTileK == 128, "stages of 64 or 128 k");
constexpr int kChunks = kTileK / 8;               // 16-byte chunks of a row's k range in a stage
static_assert(kThreads % kChunks == 0, "a thread copies one chunk column");
// Token rows per pass, a knob (-DDLLM_MMA_MAX_ROWS=64, the default, or 32): the accumulators a thread holds (64 fp32
// at 64 rows) and a stage's token rows in shared memory scale with it, and so does how many blocks an SM can hold.
#ifndef DLLM_MMA_MAX_ROWS
#define DLLM_MMA_MAX_ROWS 64
#endif
constexpr int kMaxRows = DLLM_MMA_MAX_ROWS;       // 8 (or 4) column tiles of 8
static_assert(kMaxRows == 32 || kMaxRows == 64, "passes of 32 or 64 rows");
// The pipeline depth and the weight bytes a block streams are compile-time knobs that eng/gpu/kernel-tune.sh varies
// (-DDLLM_MMA_STAGES=N, -DDLLM_MMA_BLOCK_KB=N); the library is built with the defaults, the fastest of that sweep on an
// H200 (docs/benchmarks.md, session 9): 2 stages (55 KB of shared memory, so more blocks an SM than at 3 or 4) and
// 128 KB a block, 5-9 % faster than 4 stages / 256 KB at 4-16 rows per expert and 17 % at 64. 128 k a stage
// (-DDLLM_MMA_TILE_K=128) halves the blocks an SM holds and was slower again (session 18).
#ifndef DLLM_MMA_STAGES
#define DLLM_MMA_STAGES 2
#endif
#ifndef DLLM_MMA_BLOCK_KB
#define DLLM_MMA_BLOCK_KB 128
#endif
// The blocks an SM must hold, for the compiler's register budget (__launch_bounds__), a knob too (-DDLLM_MMA_MIN_BLOCKS).
// Four, the default, caps it at 128 registers a thread (no spill), so an SM holds four blocks (shared memory fits four):
// the kernel as it was before the k-stage knob, which ptxas happened to fit in 128. With that knob's code and a budget
// of 2, ptxas took 138 and an SM held three: 4-11 % slower at 1-64 rows per expert on an H200 (docs/benchmarks.md,
// session 18). The cap keeps later edits from losing that block silently; kernel-tune.sh prints the registers.
#ifndef DLLM_MMA_MIN_BLOCKS
#define DLLM_MMA_MIN_BLOCKS 4
#endif
constexpr int kStages = DLLM_MMA_STAGES;
static_assert(kStages >= 2, "the pipeline needs two stages at least");
constexpr int kMaxSlots = 4;
constexpr int kStride = kTileK + 8;               // bf16 per shared row (144 or 272 bytes: 8 ldmatrix rows hit all banks)
constexpr int kRowBytes = kStride * (int)sizeof(bf16);
constexpr int kWBytes = kTileN * kRowBytes;       // 18432
constexpr int kABytes = kMaxRows * kRowBytes;     // 9216 at 64 rows
constexpr int kStageBytes = kWBytes + kABytes;
constexpr int kSmemBytes = kStages * kStageBytes;  // 55296 with 2 stages (four blocks in an SM's 228 KB), 110592 with 4
constexpr int kTargetBytesPerBlock = DLLM_MMA_BLOCK_KB * 1024;  // weight bytes a block streams at least (more tiles when K is short)

// 16 bytes of weights global -> shared; asks L2 for the whole 256-byte segment (the row's next K tile).
__device__ __forceinline__ void copy16_stream(uint32_t dst, const void* src) {
  asm volatile("cp.async.cg.shared.global.L2::256B [%0], [%1], 16;\n" ::"r"(dst), "l"(src) : "memory");
}

// A stage of a block: its pass's first row and row count, its tile's first output column, its first k.
struct Stage {
  int first, count, n0, k0;
  bool last_k;
};

// Without a pass table: grid (slots, ceil(N tiles / tiles_per_block), G), a block per (row slot, run of tiles, group).
// With one (pass_table, from moe_align.cu: entry = pass << 16 | group, -1 past the used entries): grid
// (ceil(N tiles / tiles_per_block), entries), a block per (run of tiles, pass), so a hot group's passes run side by
// side. kThreads threads, kSmemBytes of shared memory.
__global__ void __launch_bounds__(kThreads, DLLM_MMA_MIN_BLOCKS)
    grouped_mma_kernel(const bf16* __restrict__ a, const int64_t* __restrict__ a_rows, const bf16* __restrict__ w,
                       const int* __restrict__ ends,
                       const int* __restrict__ pass_table, bf16* __restrict__ out, int N, int K, int M,
                       int tiles_per_block) {
  extern __shared__ __align__(16) unsigned char smem[];
  dllm_launch::enter_kernel(DLLM_PDL_EARLY_EXPERTS);
  const int entry = pass_table != nullptr ? __ldg(pass_table + blockIdx.y) : 0;
  if (entry < 0) return;
  const int g = pass_table != nullptr ? entry & 0xffff : (int)blockIdx.z;
  const int end = min(__ldg(ends + g), M);
  const int begin = g == 0 ? 0 : __ldg(ends + g - 1);
  if (begin >= end) return;
  const int rows = end - begin;
  const int passes = (rows + kMaxRows - 1) / kMaxRows;
  // With the table every pass has a slot of its own.
  const int slot = pass_table != nullptr ? entry >> 16 : (int)blockIdx.x;
  const int slots = pass_table != nullptr ? passes : (int)gridDim.x;
  if (slot >= passes) return;
  const int my_passes = (passes - slot + slots - 1) / slots;
  // Equal passes, rounded up to whole column tiles: at most kMaxRows, and (passes - 1) * pass_rows < rows, so none is
  // empty.
  const int pass_rows = ((rows + passes - 1) / passes + 7) / 8 * 8;
  const int n_tiles = (N + kTileN - 1) / kTileN;
  const int tile0 = (pass_table != nullptr ? blockIdx.x : blockIdx.y) * tiles_per_block;
  const int my_tiles = min(tiles_per_block, n_tiles - tile0);  // >= 1 by the grid
  const int k_tiles = (K + kTileK - 1) / kTileK;
  const int stages = my_passes * my_tiles * k_tiles;

  auto stage_at = [&](int s) {
    const int kt = s % k_tiles, rest = s / k_tiles;
    const int t = rest % my_tiles, i = rest / my_tiles;
    const int first = begin + (slot + i * slots) * pass_rows;
    return Stage{first, min(pass_rows, end - first), (tile0 + t) * kTileN, kt * kTileK, kt == k_tiles - 1};
  };

  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const uint32_t smem_at = (uint32_t)__cvta_generic_to_shared(smem);
  const bf16* w_group = w + (size_t)g * N * K;

  // Stage s into buffer s % kStages: the weights' tile rows below N (a half tile past N stays unread: its warps skip
  // it), the pass's rows rounded up to 16 (zeros past the last; an ldmatrix reads 16 rows); k past K (the second half
  // of a last 128-k stage) is neither read nor multiplied.
  auto load = [&](int s) {
    const Stage st = stage_at(s);
    const uint32_t w_dst = smem_at + (uint32_t)(s % kStages) * kStageBytes, a_dst = w_dst + kWBytes;
    const int chunk = tid % kChunks;  // 16-byte chunk of a row's k range (kThreads % kChunks == 0: the same in both loops)
    const bool k_in = st.k0 + chunk * 8 < K;
#pragma unroll
    for (int i = 0; i < kTileN * kChunks / kThreads; ++i) {
      const int r = tid / kChunks + i * (kThreads / kChunks);
      if (st.n0 + r < N && k_in)
        copy16_stream(w_dst + r * kRowBytes + chunk * 16, w_group + (size_t)(st.n0 + r) * K + st.k0 + chunk * 8);
    }
    const int padded = (st.count + 15) / 16 * 16;
    for (int c = tid; c < padded * kChunks; c += kThreads) {
      const int r = c / kChunks;
      const bool valid = r < st.count && k_in;
      const int64_t source = !valid ? 0 : a_rows != nullptr ? __ldg(a_rows + st.first + r) : st.first + r;  // the row of a
      const bf16* src = valid ? a + (size_t)source * K + st.k0 + chunk * 8 : a;
      copy16_async(a_dst + r * kRowBytes + chunk * 16, src, valid);
    }
  };

  // ldmatrix addresses of this lane within a stage: the weights as A (16 columns x 16 k: rows lane % 16, k half
  // lane / 16), the tokens as B (16 rows as two 8-row fragments x 16 k: row lane / 16 * 8 + lane % 8, k half
  // lane / 8 % 2).
  const uint32_t w_lane = (uint32_t)((warp * kWarpN + lane % 16) * kRowBytes + lane / 16 * 16);
  const uint32_t a_lane = (uint32_t)(kWBytes + (lane / 16 * 8 + lane % 8) * kRowBytes + lane / 8 % 2 * 16);
  const int quad = lane % 4, pair_row = lane / 4;
  const bool odd = pair_row & 1;

  float acc[kFrags][kMaxRows / 8][4] = {};  // [16-column fragment][8-row column tile][c]

#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < stages) load(s);
    commit_copies();
  }
#pragma unroll 1
  for (int s = 0; s < stages; ++s) {
    wait_copies<kStages - 2>();
    __syncthreads();  // stage s is in for every thread; no warp still reads stage s - 1's buffer, which load refills
    if (s + kStages - 1 < stages) load(s + kStages - 1);
    commit_copies();

    const Stage st = stage_at(s);
    const int n_warp = st.n0 + warp * kWarpN;
    if (n_warp >= N) continue;  // a half tile past N (N % 64 == 0): warp-uniform, no barrier skipped
    const int tiles = (st.count + 7) / 8;
    const uint32_t stage = smem_at + (uint32_t)(s % kStages) * kStageBytes;
#pragma unroll
    for (int ks = 0; ks < kTileK / 16; ++ks) {
      if (kTileK > 64 && st.k0 + ks * 16 >= K) break;  // block-uniform: the unread half of a last stage
      uint32_t wa[kFrags][4];
#pragma unroll
      for (int f = 0; f < kFrags; ++f) load_matrices(wa[f], stage + w_lane + f * 16 * kRowBytes + ks * 32);
#pragma unroll
      for (int tp = 0; tp < kMaxRows / 16; ++tp) {
        if (2 * tp < tiles) {
          uint32_t tb[4];
          load_matrices(tb, stage + a_lane + tp * 16 * kRowBytes + ks * 32);
#pragma unroll
          for (int f = 0; f < kFrags; ++f) mma(acc[f][2 * tp], wa[f], tb[0], tb[1]);
          if (2 * tp + 1 < tiles) {
#pragma unroll
            for (int f = 0; f < kFrags; ++f) mma(acc[f][2 * tp + 1], wa[f], tb[2], tb[3]);
          }
        }
      }
    }
    if (!st.last_k) continue;

    // The tile is done: lane l holds columns n_warp + 16 f + l / 4 (+ 8) of rows 8 t + 2 (l % 4) (+ 1). The lane pair
    // (l, l ^ 4) holds adjacent columns: the even one writes row 2 (l % 4) of both, the odd one row 2 (l % 4) + 1.
#pragma unroll
    for (int f = 0; f < kFrags; ++f) {
#pragma unroll
      for (int t = 0; t < kMaxRows / 8; ++t) {
        if (t < tiles) {  // warp-uniform: every lane takes part in the shuffles
          float* c = acc[f][t];
          const float lo = __shfl_xor_sync(0xffffffffu, odd ? c[0] : c[1], 4);
          const float hi = __shfl_xor_sync(0xffffffffu, odd ? c[2] : c[3], 4);
          const int row = 8 * t + 2 * quad + (odd ? 1 : 0);
          if (row < st.count) {
            const int n = n_warp + 16 * f + (pair_row & ~1);
            bf16* o = out + (size_t)(st.first + row) * N + n;
            *reinterpret_cast<__nv_bfloat162*>(o) = odd ? __floats2bfloat162_rn(lo, c[1]) : __floats2bfloat162_rn(c[0], lo);
            *reinterpret_cast<__nv_bfloat162*>(o + 8) = odd ? __floats2bfloat162_rn(hi, c[3]) : __floats2bfloat162_rn(c[2], hi);
          }
        }
#pragma unroll
        for (int e = 0; e < 4; ++e) acc[f][t][e] = 0.0f;
      }
    }
  }
}

cudaError_t configure() {
  cudaError_t status = cudaFuncSetAttribute(grouped_mma_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmemBytes);
  if (status != cudaSuccess) return status;
  // Several blocks an SM need the largest shared-memory carveout; a hint, so its failure is not fatal.
  if (cudaFuncSetAttribute(grouped_mma_kernel, cudaFuncAttributePreferredSharedMemoryCarveout,
                           (int)cudaSharedmemCarveoutMaxShared) != cudaSuccess)
    (void)cudaGetLastError();
  return cudaSuccess;
}

}  // namespace

// Rows a pass of the kernel takes at most: the unit of moe_align.cu's pass table.
extern "C" int dllm_grouped_mma_rows_per_pass() { return kMaxRows; }

// Returns 0, a CUDA error code, or -2 for an unsupported shape (K or N not a positive multiple of 64, more than 65535
// groups, more than 65535 table entries) or misaligned pointers (a and w need 16 bytes, out 4). M is the product's row
// count (a's, or a_rows' when given): rows past it are never touched, whatever ends says. a_rows (int64 [M], may be
// null): row m of the product reads row a_rows[m] of a, so the tokens' gather into expert order is the kernel's loads.
// pass_table (may be null) holds table_entries entries of `pass << 16 | group` for every pass of
// dllm_grouped_mma_rows_per_pass() rows of every group, in any order, then -1: each pass gets a block of its own,
// however skewed the groups (without it a group of more than 4x the mean rows has its passes looped over by a few
// blocks). Nothing is read from the device on the host: the grid depends on M, G, N, K
// and table_entries only.
extern "C" int dllm_launch_grouped_mma(const void* a, const int64_t* a_rows, const void* w, const int* ends, const int* pass_table,
                                       int table_entries, void* out, int groups, int N, int K, int M,
                                       cudaStream_t stream) {
  if (N <= 0 || K <= 0 || N % 64 != 0 || K % 64 != 0 || groups < 0 || groups > 65535 || M < 0) return -2;
  if (pass_table != nullptr && (table_entries < 0 || table_entries > 65535)) return -2;
  if (groups == 0 || M == 0 || (pass_table != nullptr && table_entries == 0)) return 0;
  if ((reinterpret_cast<uintptr_t>(a) | reinterpret_cast<uintptr_t>(w)) % 16 != 0 || reinterpret_cast<uintptr_t>(out) % 4 != 0)
    return -2;
  static const cudaError_t configured = configure();
  if (configured != cudaSuccess) return (int)configured;
  const int n_tiles = (N + kTileN - 1) / kTileN;
  // Tiles per block: enough that a block streams kTargetBytesPerBlock of weights (at 128 KB: one tile at K = 512 and at
  // K = 2048), so that the pipeline's fill and drain are a small part of a block's time.
  const int tile_bytes = kTileN * K * (int)sizeof(bf16);
  int per_block = kTargetBytesPerBlock / tile_bytes;
  per_block = per_block < 1 ? 1 : per_block > n_tiles ? n_tiles : per_block;
  const int n_blocks = (n_tiles + per_block - 1) / per_block;
  if (n_blocks > 65535) return -2;
  dim3 grid;
  if (pass_table != nullptr) {
    // The runs of tiles of one pass are neighbours in launch order, and the passes of one group too (the table lists
    // them in a row), so the blocks reading one weight tile run together; the unused entries come last.
    grid = dim3((unsigned)n_blocks, (unsigned)table_entries, 1);
  } else {
    // Row slots: enough for a group of 4x the mean rows to run all its passes at once (1 up to 16 rows per group on
    // average, 4 above 48), at most kMaxSlots; a larger group's slots loop over its passes. A slot without a pass exits
    // at once, after reading ends.
    const int64_t wanted = (4 * (int64_t)M + (int64_t)groups * kMaxRows - 1) / ((int64_t)groups * kMaxRows);
    const int slots = wanted < 1 ? 1 : wanted > kMaxSlots ? kMaxSlots : (int)wanted;
    grid = dim3((unsigned)slots, (unsigned)n_blocks, (unsigned)groups);
  }
  return (int)dllm_launch::launch(grouped_mma_kernel, grid, dim3(kThreads), kSmemBytes, stream, static_cast<const bf16*>(a),
                                  a_rows, static_cast<const bf16*>(w), ends, pass_table, static_cast<bf16*>(out), N, K, M,
                                  per_block);
}
