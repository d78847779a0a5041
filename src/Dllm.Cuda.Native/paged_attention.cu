// Attention that reads the K/V cache in place (issue 17, deliverable 3): B requests x n new tokens, grouped-query
// heads, over each request's cached prefix (rows of the paged cache, found through the batch's read rows) and its own
// new tokens, in one kernel, with no gathered copy of the prefix.
//
// Visibility: a prefix key j is seen iff j < prefix_len[b] (the request's cached length; the rest is padding), a new
// key j iff new_mask[b][i][j] (the batch layout's block-causal rule and placeholders), so it computes exactly what the
// gather + masked SDPA path computes. A query row that sees no key gives zeros.
//
// Structure (flash attention 2 style):
// - The query rows of a KV head are its query heads' tokens, folded: row r = g * n + i is head kv * groups + g, token
//   i. One CUDA block takes all folded rows of a (request, KV head), up to 256 (more are cut into equal row tiles), so
//   each K/V tile is read from memory once for all of them; each warp owns 16 rows.
// - Keys go in tiles of 64: the prefix's tiles (the last one partial), then the new tokens' tiles. A tile's K and V
//   are staged in shared memory with cp.async, double-buffered: tile t + 1 is in flight while tile t is computed, one
//   barrier per tile. The cache rows of the prefix keys (read_rows) are fetched one tile further ahead, so no thread
//   waits on a global load before it can issue a copy. Keys past a tile's end are zero-filled. For the tiles where
//   some row misses some key (the last prefix tile, the new tokens' tiles), which keys each row sees is noted as bits
//   in shared memory, also a tile ahead.
// - Q K^T and P V run on tensor cores (mma.sync m16n8k16 bf16, fp32 accumulators, operands through ldmatrix); the
//   scores, probabilities and output accumulator stay in registers, in the mma's accumulator layout, and the online
//   softmax runs there in fp32 (base 2: scores are scaled by scale * log2(e)). P is rounded to bf16 for P V and the
//   row sums add up the rounded values.
// - When the blocks would not fill the GPU (few requests), each block's key tiles are split over `splits` blocks
//   (flash decoding): each writes its unnormalised output, running max and sum to the workspace, and a second kernel
//   combines them.
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <cstdint>

#include "dependent_launch.cuh"
#include "tensor_core_ptx.cuh"

namespace {

using namespace dllm_ptx;

using bf16 = __nv_bfloat16;

constexpr int kWarpRows = 16;                    // query rows per warp: the mma's M
constexpr int kMaxRows = 256;                    // query rows per block at most (16 warps)
constexpr int kMaxThreads = kMaxRows / kWarpRows * 32;
constexpr int kKeys = 64;                        // keys per tile
constexpr int kStepKeys = 32;                    // keys per step of the math within a tile
constexpr int kMinTilesPerSplit = 2;             // key tiles a split covers at least
constexpr int kMaxSplits = 32;                   // splits at most (the combine's cost grows with them)
constexpr float kNoScore = -1e30f;  // the running max before any key: finite, so differences never give NaN
constexpr float kLog2e = 1.4426950408889634f;

// How the folded rows of a KV head are cut into blocks: as few as hold them all, with equal rows, a multiple of 16.
struct RowTiling {
  int tiles, rows;
};

__host__ __device__ inline RowTiling row_tiling(int folded) {
  if (folded <= 0) return {0, 0};
  const int tiles = (folded + kMaxRows - 1) / kMaxRows;
  const int rows = ((folded + tiles - 1) / tiles + kWarpRows - 1) / kWarpRows * kWarpRows;
  return {tiles, rows};
}

// Shared memory of a block with `rows` query rows: the read rows of two key tiles, the seen bits of two key tiles,
// Q, then two stages of K and V, all bf16 rows padded by 16 bytes so that the 8 rows an ldmatrix reads fall in
// different banks.
template <int D>
struct Smem {
  static constexpr int stride = D + 8;  // bf16 per row
  static constexpr size_t rows_bytes = 2 * kKeys * sizeof(int64_t);
  __host__ __device__ static constexpr size_t seen_bytes(int rows) { return 2 * (size_t)rows * (kKeys / 32) * sizeof(uint32_t); }
  static constexpr size_t bytes(int rows) {
    return rows_bytes + seen_bytes(rows) + (size_t)(rows + 4 * kKeys) * stride * sizeof(bf16);
  }
};

struct Args {
  const bf16* q;              // [B, n, H, D]
  const bf16* k_new;          // [B, n, KV, D]
  const bf16* v_new;          // [B, n, KV, D]
  const bf16* cache_k;        // [rows, KV, D]
  const bf16* cache_v;        // [rows, KV, D]
  const int64_t* read_rows;   // [B, P]: cache row of prefix position j
  const int32_t* prefix_len;  // [B]
  const uint8_t* new_mask;    // [B, n, n]: 1 = query i sees new key j
  bf16* out;                  // [B, n, H, D]
  int n, heads, kv_heads, prefix;
  float scale;
  int splits;                 // key-range splits per block (1: write out directly)
  float* part_o;              // [B, KV, splits, rows_padded, D] when splits > 1
  float* part_m;              // [B, KV, splits, rows_padded]: running max, base 2
  float* part_l;              // [B, KV, splits, rows_padded]
};

// 8 bytes global -> shared, asynchronously (a read row).
__device__ __forceinline__ void copy8_async(uint32_t dst, const void* src) {
  asm volatile("cp.async.ca.shared.global [%0], [%1], 8;\n" ::"r"(dst), "l"(src) : "memory");
}

// 2^x by the hardware's approximation (2^-inf = 0).
__device__ __forceinline__ float exp2_approx(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
}

// 2^(x - max) of two scores, rounded to bf16 and packed as an mma operand register; adds the rounded values to sum.
__device__ __forceinline__ uint32_t probabilities(float x0, float x1, float max, float& sum) {
  const __nv_bfloat162 p = __floats2bfloat162_rn(exp2_approx(x0 - max), exp2_approx(x1 - max));
  sum += __low2float(p) + __high2float(p);
  return *reinterpret_cast<const uint32_t*>(&p);
}

// Key tile t of a request: the prefix's tiles, then the new tokens'. first: its first key within its part.
struct KeyTile {
  bool prefix;
  int first, count;
};

__device__ __forceinline__ KeyTile key_tile(int t, int prefix_tiles, int plen, int n) {
  if (t < prefix_tiles) return {true, t * kKeys, min(kKeys, plen - t * kKeys)};
  const int first = (t - prefix_tiles) * kKeys;
  return {false, first, min(kKeys, n - first)};
}

// Grid (row tiles, KV, B * splits), 2 * rows threads (rows / 16 warps).
template <int D>
__global__ void __launch_bounds__(kMaxThreads) paged_attention_kernel(Args a, int rows) {
  constexpr int S = Smem<D>::stride;
  constexpr int kRowBytes = S * sizeof(bf16);
  constexpr int kStageBytes = 2 * kKeys * kRowBytes;  // K, then V
  constexpr int kChunks = D / 8;                       // 16-byte chunks per K/V/Q row
  extern __shared__ __align__(16) unsigned char smem[];
  dllm_launch::enter_kernel();
  int64_t* s_rows = reinterpret_cast<int64_t*>(smem);  // [2][kKeys]: tile t's at t % 2
  uint32_t* s_seen = reinterpret_cast<uint32_t*>(smem + Smem<D>::rows_bytes);  // [2][rows][kKeys / 32]: likewise
  bf16* s_q = reinterpret_cast<bf16*>(smem + Smem<D>::rows_bytes + Smem<D>::seen_bytes(rows));  // [rows][S]
  const uint32_t rows_at = (uint32_t)__cvta_generic_to_shared(s_rows);
  const uint32_t q_at = (uint32_t)__cvta_generic_to_shared(s_q);
  const uint32_t kv_at = q_at + rows * kRowBytes;  // after Q: tile t's K/V stage at kv_at + t % 2 * kStageBytes

  const int b = blockIdx.z / a.splits, split = blockIdx.z % a.splits, kv = blockIdx.y;
  const int groups = a.heads / a.kv_heads, folded = groups * a.n;
  const int row0 = blockIdx.x * rows;
  const int tid = threadIdx.x, threads = blockDim.x, warp = tid / 32, lane = tid % 32;

  const int plen = a.prefix_len[b];
  const int prefix_tiles = (plen + kKeys - 1) / kKeys;
  const int tiles = prefix_tiles + (a.n + kKeys - 1) / kKeys;
  const int tile_begin = (int)((int64_t)tiles * split / a.splits), tile_end = (int)((int64_t)tiles * (split + 1) / a.splits);

  // Asynchronous copies: the cache rows of tile t's prefix keys; tile t's K and V (through those rows, zeros past
  // the tile's end).
  auto copy_rows = [&](int t) {
    if (t >= tile_end || t >= prefix_tiles) return;
    const KeyTile kt = key_tile(t, prefix_tiles, plen, a.n);
    const int64_t* src = a.read_rows + (int64_t)b * a.prefix + kt.first;
    for (int j = tid; j < kt.count; j += threads) copy8_async(rows_at + (t % 2 * kKeys + j) * 8, src + j);
  };
  auto copy_kv = [&](int t) {
    const KeyTile kt = key_tile(t, prefix_tiles, plen, a.n);
    const bf16* ks = kt.prefix ? a.cache_k : a.k_new;
    const bf16* vs = kt.prefix ? a.cache_v : a.v_new;
    const uint32_t k = kv_at + t % 2 * kStageBytes, v = k + kKeys * kRowBytes;
    for (int c = tid; c < kKeys * kChunks; c += threads) {
      const int j = c / kChunks, d = c % kChunks * 8;
      const bool valid = j < kt.count;
      int64_t at = 0;
      if (valid) {
        const int64_t row = kt.prefix ? s_rows[t % 2 * kKeys + j] : (int64_t)b * a.n + kt.first + j;
        at = (row * a.kv_heads + kv) * D + d;
      }
      copy16_async(k + j * kRowBytes + d * 2, ks + at, valid);
      copy16_async(v + j * kRowBytes + d * 2, vs + at, valid);
    }
  };
  // Which keys of tile t each row sees, a bit per key (key j: bit j % 32 of word j / 32), for the tiles where some
  // row misses some key (the last prefix tile, the new tokens' tiles); a warp takes 32 keys of a row at a time.
  auto note_seen = [&](int t) {
    const KeyTile kt = key_tile(t, prefix_tiles, plen, a.n);
    if (kt.prefix && kt.count == kKeys) return;
    if (!kt.prefix && a.n % 16 == 0) {
      // A thread per (row, 32 keys): the row's mask bytes as 16-byte loads, all issued at once (the loop below waits
      // for one byte load a round, 32 rounds: about 10 µs on the critical path of the split with the new tokens).
      for (int c = tid; c < rows * (kKeys / 32); c += threads) {
        const int fr = row0 + c / (kKeys / 32), w = c % (kKeys / 32);
        const uint8_t* src = a.new_mask + ((int64_t)b * a.n + fr % a.n) * a.n + kt.first + w * 32;
        uint32_t word = 0;
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          if (w * 32 + h * 16 >= kt.count) continue;  // n % 16 == 0: a half is wholly in the tile or wholly past it
          const uint4 v = __ldg(reinterpret_cast<const uint4*>(src + h * 16));
          const uint32_t parts[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
          for (int q = 0; q < 4; ++q) {
            const uint32_t nonzero = (((parts[q] & 0x7f7f7f7fu) + 0x7f7f7f7fu) | parts[q]) & 0x80808080u;  // a byte's top bit
            const uint32_t bits = (nonzero >> 7 & 1u) | (nonzero >> 14 & 2u) | (nonzero >> 21 & 4u) | (nonzero >> 28 & 8u);
            word |= bits << (h * 16 + q * 4);
          }
        }
        s_seen[t % 2 * rows * (kKeys / 32) + c] = word;
      }
      return;
    }
    for (int c = tid; c < rows * kKeys; c += threads) {  // rows * kKeys / threads = 32 rounds for every thread
      const int fr = row0 + c / kKeys, j = c % kKeys;
      bool visible = j < kt.count;
      if (visible && !kt.prefix) visible = a.new_mask[((int64_t)b * a.n + fr % a.n) * a.n + kt.first + j] != 0;
      const uint32_t word = __ballot_sync(0xffffffffu, visible);
      if (lane == 0) s_seen[t % 2 * rows * (kKeys / 32) + c / 32] = word;
    }
  };

  // The queries (zeros past the last row) and the first tile's rows, then its K/V and the next tile's rows.
  for (int c = tid; c < rows * kChunks; c += threads) {
    const int r = c / kChunks, d = c % kChunks * 8, fr = row0 + r;
    const bool valid = fr < folded;
    int64_t at = 0;
    if (valid) at = (((int64_t)b * a.n + fr % a.n) * a.heads + (int64_t)kv * groups + fr / a.n) * D + d;
    copy16_async(q_at + r * kRowBytes + d * 2, a.q + at, valid);
  }
  copy_rows(tile_begin);
  commit_copies();
  if (tile_begin < tile_end) note_seen(tile_begin);
  wait_copies<0>();
  __syncthreads();
  if (tile_begin < tile_end) {
    copy_kv(tile_begin);
    copy_rows(tile_begin + 1);
    commit_copies();
  }

  // This lane's two rows of the warp's 16, in the accumulator layout: wr + lane / 4 and 8 below.
  const int wr = warp * kWarpRows, quad = lane % 4;
  // ldmatrix addresses of this lane: Q as the A operand (16 rows x 16 d), K as B = K^T (16 keys, as two 8-key
  // fragments, x 16 d), V as B, transposed (16 keys x 16 d, as two 8-d fragments).
  const uint32_t q_lane = q_at + (wr + lane % 16) * kRowBytes + lane / 16 * 16;
  const uint32_t k_lane = (lane / 16 * 8 + lane % 8) * kRowBytes + lane / 8 % 2 * 16;
  const uint32_t v_lane = (lane % 16) * kRowBytes + lane / 16 * 16;
  const float scale = a.scale * kLog2e;

  float o[D / 8][4] = {};             // output accumulator: 16 rows x D, 8 columns per fragment
  float m[2] = {kNoScore, kNoScore};  // running max of this lane's two rows (the same over the lane's quad)
  float l[2] = {0.0f, 0.0f};          // running sum of this lane's part of its two rows

  for (int t = tile_begin; t < tile_end; ++t) {
    wait_copies<0>();
    __syncthreads();  // tile t's K/V, seen bits and tile t + 1's rows are in; no warp still reads tile t - 1's
    if (t + 1 < tile_end) {
      copy_kv(t + 1);
      copy_rows(t + 2);
      commit_copies();
      note_seen(t + 1);
    }
    const KeyTile kt = key_tile(t, prefix_tiles, plen, a.n);
    const bool masked = !kt.prefix || kt.count < kKeys;
    const uint32_t stage = kv_at + t % 2 * kStageBytes, k = stage + k_lane, v = stage + kKeys * kRowBytes + v_lane;
    const uint32_t* seen_rows = s_seen + (t % 2 * rows + wr + lane / 4) * (kKeys / 32);

    // The tile's keys in steps of 32 (scores of 16 rows x 32 keys: 16 registers a lane, beside O's D / 2), none
    // past the tile's end.
#pragma unroll 1
    for (int k0 = 0; k0 < kt.count; k0 += kStepKeys) {
      // The keys this lane's scores see: bit 8 f + e % 2 + 4 (e / 2) for element e of score fragment f.
      uint32_t seen = ~0u;
      if (masked) {
        const uint32_t upper = seen_rows[k0 / 32] >> (quad * 2), lower = seen_rows[8 * (kKeys / 32) + k0 / 32] >> (quad * 2);
        seen = (upper & 0x03030303u) | (lower & 0x03030303u) << 4;
      }

      // s = Q K^T, 8 keys per fragment.
      float s[kStepKeys / 8][4] = {};
#pragma unroll
      for (int dk = 0; dk < D / 16; ++dk) {
        uint32_t qa[4];
        load_matrices(qa, q_lane + dk * 32);
#pragma unroll
        for (int kp = 0; kp < kStepKeys / 16; ++kp) {
          uint32_t kb[4];
          load_matrices(kb, k + (k0 + kp * 16) * kRowBytes + dk * 32);
          mma(s[2 * kp], qa, kb[0], kb[1]);
          mma(s[2 * kp + 1], qa, kb[2], kb[3]);
        }
      }

      // Scaled; -inf for the keys not seen.
#pragma unroll
      for (int f = 0; f < kStepKeys / 8; ++f) {
#pragma unroll
        for (int e = 0; e < 4; ++e) s[f][e] = seen >> (8 * f + e % 2 + 4 * (e / 2)) & 1u ? s[f][e] * scale : -INFINITY;
      }

      // Online softmax: the new running max (over the quad that holds a row), then O and l rescaled to it.
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        float step_max = -INFINITY;
#pragma unroll
        for (int f = 0; f < kStepKeys / 8; ++f) step_max = fmaxf(step_max, fmaxf(s[f][2 * h], s[f][2 * h + 1]));
        step_max = fmaxf(step_max, __shfl_xor_sync(0xffffffffu, step_max, 1));
        step_max = fmaxf(step_max, __shfl_xor_sync(0xffffffffu, step_max, 2));
        const float m_new = fmaxf(m[h], step_max);
        const float alpha = exp2_approx(m[h] - m_new);
        m[h] = m_new;
        l[h] *= alpha;
#pragma unroll
        for (int f = 0; f < D / 8; ++f) {
          o[f][2 * h] *= alpha;
          o[f][2 * h + 1] *= alpha;
        }
      }

      // O += P V, 16 keys at a time: the score fragments of keys 16 kk.. are in the A operand's layout.
#pragma unroll
      for (int kk = 0; kk < kStepKeys / 16; ++kk) {
        uint32_t pa[4];
        pa[0] = probabilities(s[2 * kk][0], s[2 * kk][1], m[0], l[0]);
        pa[1] = probabilities(s[2 * kk][2], s[2 * kk][3], m[1], l[1]);
        pa[2] = probabilities(s[2 * kk + 1][0], s[2 * kk + 1][1], m[0], l[0]);
        pa[3] = probabilities(s[2 * kk + 1][2], s[2 * kk + 1][3], m[1], l[1]);
#pragma unroll
        for (int dp = 0; dp < D / 16; ++dp) {
          uint32_t vb[4];
          load_matrices_transposed(vb, v + (k0 + kk * 16) * kRowBytes + dp * 32);
          mma(o[2 * dp], pa, vb[0], vb[1]);
          mma(o[2 * dp + 1], pa, vb[2], vb[3]);
        }
      }
    }
  }

#pragma unroll
  for (int h = 0; h < 2; ++h) {
    l[h] += __shfl_xor_sync(0xffffffffu, l[h], 1);
    l[h] += __shfl_xor_sync(0xffffffffu, l[h], 2);
  }
  if (a.splits > 1) {
    // This split's unnormalised output, max and sum, for the combine kernel (padded rows too: it skips them).
    const int rows_padded = gridDim.x * rows;
    const int64_t at = (((int64_t)b * a.kv_heads + kv) * a.splits + split) * rows_padded + row0 + wr + lane / 4;
#pragma unroll
    for (int f = 0; f < D / 8; ++f) {
      const int d = f * 8 + quad * 2;
      *reinterpret_cast<float2*>(a.part_o + at * D + d) = make_float2(o[f][0], o[f][1]);
      *reinterpret_cast<float2*>(a.part_o + (at + 8) * D + d) = make_float2(o[f][2], o[f][3]);
    }
    if (quad == 0) {
      a.part_m[at] = m[0];
      a.part_l[at] = l[0];
      a.part_m[at + 8] = m[1];
      a.part_l[at + 8] = l[1];
    }
    return;
  }
  // out = O / l in bf16, staged in the warp's own Q rows (no other warp reads them) for 16-byte stores.
  const float inv0 = l[0] > 0.0f ? 1.0f / l[0] : 0.0f, inv1 = l[1] > 0.0f ? 1.0f / l[1] : 0.0f;
  bf16* staged = s_q + wr * S;
  __syncwarp();
#pragma unroll
  for (int f = 0; f < D / 8; ++f) {
    const int d = f * 8 + quad * 2;
    *reinterpret_cast<__nv_bfloat162*>(staged + lane / 4 * S + d) = __floats2bfloat162_rn(o[f][0] * inv0, o[f][1] * inv0);
    *reinterpret_cast<__nv_bfloat162*>(staged + (lane / 4 + 8) * S + d) = __floats2bfloat162_rn(o[f][2] * inv1, o[f][3] * inv1);
  }
  __syncwarp();
  for (int c = lane; c < kWarpRows * kChunks; c += 32) {
    const int r = c / kChunks, d = c % kChunks * 8, fr = row0 + wr + r;
    if (fr >= folded) continue;
    const int64_t at = (((int64_t)b * a.n + fr % a.n) * a.heads + (int64_t)kv * groups + fr / a.n) * D + d;
    *reinterpret_cast<uint4*>(a.out + at) = *reinterpret_cast<const uint4*>(staged + r * S + d);
  }
}

// Combines the splits of each (request, KV head, folded row): D / 4 threads a row, 4 values each.
// Grid (ceil(folded * D / 4 / 128), KV, B), 128 threads.
template <int D>
__global__ void __launch_bounds__(128) combine_splits_kernel(Args a, int rows_padded) {
  dllm_launch::enter_kernel();
  const int kv = blockIdx.y, b = blockIdx.z;
  const int item = blockIdx.x * blockDim.x + threadIdx.x, fr = item / (D / 4), d = item % (D / 4) * 4;
  const int groups = a.heads / a.kv_heads;
  if (fr >= groups * a.n) return;
  const int64_t first = ((int64_t)b * a.kv_heads + kv) * a.splits * rows_padded + fr;  // split 0; split s at + s * rows_padded
  float m = kNoScore;
  for (int s = 0; s < a.splits; ++s) m = fmaxf(m, a.part_m[first + (int64_t)s * rows_padded]);
  float l = 0.0f;
  float4 o = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
  for (int s = 0; s < a.splits; ++s) {
    const int64_t at = first + (int64_t)s * rows_padded;
    const float w = exp2f(a.part_m[at] - m);
    const float4 part = *reinterpret_cast<const float4*>(a.part_o + at * D + d);
    l += a.part_l[at] * w;
    o.x += part.x * w;
    o.y += part.y * w;
    o.z += part.z * w;
    o.w += part.w * w;
  }
  const float inv = l > 0.0f ? 1.0f / l : 0.0f;
  const __nv_bfloat162 lo = __floats2bfloat162_rn(o.x * inv, o.y * inv), hi = __floats2bfloat162_rn(o.z * inv, o.w * inv);
  uint2 packed;
  packed.x = *reinterpret_cast<const uint32_t*>(&lo);
  packed.y = *reinterpret_cast<const uint32_t*>(&hi);
  const int g = fr / a.n, i = fr % a.n;
  *reinterpret_cast<uint2*>(a.out + (((int64_t)b * a.n + i) * a.heads + (int64_t)kv * groups + g) * D + d) = packed;
}

template <int D>
int launch(const Args& a, int batch, cudaStream_t stream) {
  static const cudaError_t configured = cudaFuncSetAttribute(
      paged_attention_kernel<D>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)Smem<D>::bytes(kMaxRows));
  if (configured != cudaSuccess) return (int)configured;
  const int folded = a.heads / a.kv_heads * a.n;
  const RowTiling tiling = row_tiling(folded);
  dim3 grid((unsigned)tiling.tiles, (unsigned)a.kv_heads, (unsigned)(batch * a.splits));
  const cudaError_t launched = dllm_launch::launch(paged_attention_kernel<D>, grid, dim3(tiling.rows / kWarpRows * 32),
                                                   Smem<D>::bytes(tiling.rows), stream, a, tiling.rows);
  if (launched != cudaSuccess || a.splits == 1) return (int)launched;
  const unsigned row_blocks = (unsigned)((folded * (D / 4) + 127) / 128);
  return (int)dllm_launch::launch(combine_splits_kernel<D>, dim3(row_blocks, (unsigned)a.kv_heads, (unsigned)batch), dim3(128), 0,
                                  stream, a, tiling.tiles * tiling.rows);
}

}  // namespace

// How many key-range splits the launch for this batch needs: none while its blocks fill every SM's block slots (two
// blocks of up to 128 rows fit an SM, one of more), else about one wave of blocks, each split covering at least
// kMinTilesPerSplit key tiles of the padded prefix, at most kMaxSplits (on an H200, kernel-check's sweep, session 10:
// 1,024 x 1 takes 28.4 us in 4 splits, 24.0 in 8; 8,192 x 1 36.6 us in 32, 46.5 in 64).
extern "C" int dllm_paged_attention_splits(int batch, int n, int heads, int kv_heads, int prefix, int multiprocessors) {
  const RowTiling tiling = row_tiling(heads / kv_heads * n);
  const int blocks = tiling.tiles * kv_heads * batch;
  if (blocks <= 0) return 1;
  const int slots = (tiling.rows <= kMaxRows / 2 ? 2 : 1) * multiprocessors;
  const int tiles = (prefix + kKeys - 1) / kKeys + (n + kKeys - 1) / kKeys;
  const int splits = min(min(slots / blocks, tiles / kMinTilesPerSplit), kMaxSplits);
  return splits > 1 ? splits : 1;
}

// Rows of the split workspace's m and l (and of O, times D) per (request, KV head, split).
extern "C" int dllm_paged_attention_rows_padded(int n, int heads, int kv_heads) {
  const RowTiling tiling = row_tiling(heads / kv_heads * n);
  return tiling.tiles * tiling.rows;
}

// Returns 0, a CUDA error code, or -2 for a head dimension without a kernel (32, 64 and 128 have one). With
// splits > 1, part_o/part_m/part_l are the workspace (sizes above).
extern "C" int dllm_launch_paged_attention(const void* q, const void* k_new, const void* v_new, const void* cache_k,
                                           const void* cache_v, const int64_t* read_rows, const int32_t* prefix_len,
                                           const uint8_t* new_mask, void* out, int batch, int n, int heads, int kv_heads,
                                           int head_dim, int prefix, int splits, float* part_o, float* part_m,
                                           float* part_l, cudaStream_t stream) {
  Args a{static_cast<const bf16*>(q), static_cast<const bf16*>(k_new), static_cast<const bf16*>(v_new),
         static_cast<const bf16*>(cache_k), static_cast<const bf16*>(cache_v), read_rows, prefix_len, new_mask,
         static_cast<bf16*>(out), n, heads, kv_heads, prefix, 1.0f / sqrtf((float)head_dim), splits < 1 ? 1 : splits,
         part_o, part_m, part_l};
  if (batch == 0 || n == 0) return 0;
  switch (head_dim) {
    case 32: return launch<32>(a, batch, stream);
    case 64: return launch<64>(a, batch, stream);
    case 128: return launch<128>(a, batch, stream);
    default: return -2;
  }
}
