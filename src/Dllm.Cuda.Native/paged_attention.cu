// Attention that reads the K/V cache in place (issue 17, deliverable 3): B requests x n new tokens, grouped-query
// heads, over each request's cached prefix (rows of the paged cache, found through the batch's read rows) and its own
// new tokens, in one kernel, with no gathered copy of the prefix. Flash-attention style: one CUDA block per (request,
// KV head, 64 query rows), the query rows of a KV head being its query heads' tokens (row r = g * n + i: head
// kv * groups + g, token i); key tiles of 64 staged in shared memory, Q K^T and P V on tensor cores (WMMA bf16 16x16x16,
// fp32 accumulators), an online softmax in fp32.
// Visibility: a prefix key j is seen iff j < prefix_len[b] (the request's cached length; the rest is padding), a new
// key j iff new_mask[b][i][j] (the batch layout's block-causal rule and placeholders), so it computes exactly what the
// gather + masked SDPA path computes.
// When (request, KV head, row tile) blocks would not fill the GPU (few requests), each block's key tiles are split over
// `splits` blocks (flash-decoding): each writes its unnormalised output, running max and sum to a workspace, and a
// second kernel combines them.
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <mma.h>
#include <cstdint>

namespace {

using namespace nvcuda;
using bf16 = __nv_bfloat16;

constexpr int kRows = 64;     // query rows per CUDA block
constexpr int kKeys = 64;     // keys per tile
constexpr int kWarps = 4;     // 16 query rows each
constexpr int kThreads = kWarps * 32;
constexpr float kNoScore = -1e30f;  // the running max before any key: finite, so exp() of differences never gives NaN

__host__ __device__ constexpr size_t align128(size_t bytes) { return (bytes + 127) / 128 * 128; }

template <int D>
struct Smem {
  static constexpr size_t q = 0;
  static constexpr size_t k = q + align128(sizeof(bf16) * kRows * D);
  static constexpr size_t v = k + align128(sizeof(bf16) * kKeys * D);
  static constexpr size_t s = v + align128(sizeof(bf16) * kKeys * D);
  static constexpr size_t p = s + align128(sizeof(float) * kRows * kKeys);
  static constexpr size_t o = p + align128(sizeof(bf16) * kRows * kKeys);
  static constexpr size_t m = o + align128(sizeof(float) * kRows * D);
  static constexpr size_t l = m + align128(sizeof(float) * kRows);
  static constexpr size_t alpha = l + align128(sizeof(float) * kRows);
  static constexpr size_t bytes = alpha + align128(sizeof(float) * kRows);
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
  float* part_o;              // [B, KV, splits, row tiles * 64, D] when splits > 1
  float* part_m;              // [B, KV, splits, row tiles * 64]
  float* part_l;              // [B, KV, splits, row tiles * 64]
};

using Accumulator = wmma::fragment<wmma::accumulator, 16, 16, 16, float>;

// acc += A B over `steps` 16-deep slices: A 16 x 16 row-major tiles at a + k * a_step, B tiles (layout BLayout) at
// b + k * b_step.
template <typename BLayout, int Steps>
__device__ __forceinline__ void mma_accumulate(Accumulator& acc, const bf16* a, int lda, int a_step, const bf16* b, int ldb,
                                               int b_step) {
#pragma unroll
  for (int k = 0; k < Steps; ++k) {
    wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> fa;
    wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, BLayout> fb;
    wmma::load_matrix_sync(fa, a + k * a_step, lda);
    wmma::load_matrix_sync(fb, b + k * b_step, ldb);
    wmma::mma_sync(acc, fa, fb, acc);
  }
}

template <int D>
__global__ void __launch_bounds__(kThreads) paged_attention_kernel(Args a) {
  extern __shared__ __align__(128) unsigned char smem[];
  bf16* sQ = reinterpret_cast<bf16*>(smem + Smem<D>::q);
  bf16* sK = reinterpret_cast<bf16*>(smem + Smem<D>::k);
  bf16* sV = reinterpret_cast<bf16*>(smem + Smem<D>::v);
  float* sS = reinterpret_cast<float*>(smem + Smem<D>::s);
  bf16* sP = reinterpret_cast<bf16*>(smem + Smem<D>::p);
  float* sO = reinterpret_cast<float*>(smem + Smem<D>::o);
  float* sM = reinterpret_cast<float*>(smem + Smem<D>::m);
  float* sL = reinterpret_cast<float*>(smem + Smem<D>::l);
  float* sAlpha = reinterpret_cast<float*>(smem + Smem<D>::alpha);

  const int b = blockIdx.z / a.splits, split = blockIdx.z % a.splits, kv = blockIdx.y;
  const int groups = a.heads / a.kv_heads;
  const int folded = groups * a.n;  // query rows of this KV head
  const int row0 = blockIdx.x * kRows;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  constexpr int kChunk = 8;  // bf16 per 16-byte load
  constexpr int kChunksPerRow = D / kChunk;

  // Queries (zeros past the last row), output accumulator, running max and sum.
  for (int c = threadIdx.x; c < kRows * kChunksPerRow; c += kThreads) {
    int r = c / kChunksPerRow, d = (c % kChunksPerRow) * kChunk, fr = row0 + r;
    uint4 value = make_uint4(0, 0, 0, 0);
    if (fr < folded) {
      int g = fr / a.n, i = fr % a.n;
      value = *reinterpret_cast<const uint4*>(a.q + (((int64_t)b * a.n + i) * a.heads + (int64_t)kv * groups + g) * D + d);
    }
    *reinterpret_cast<uint4*>(sQ + r * D + d) = value;
  }
  for (int e = threadIdx.x; e < kRows * D; e += kThreads) sO[e] = 0.0f;
  for (int r = threadIdx.x; r < kRows; r += kThreads) {
    sM[r] = kNoScore;
    sL[r] = 0.0f;
  }
  __syncthreads();  // a split with no tiles goes straight to writing what other threads initialised

  const int plen = a.prefix_len[b];
  const int prefix_tiles = (plen + kKeys - 1) / kKeys;
  const int tiles = prefix_tiles + (a.n + kKeys - 1) / kKeys;
  const int tile_begin = (int)((int64_t)tiles * split / a.splits), tile_end = (int)((int64_t)tiles * (split + 1) / a.splits);
  for (int t = tile_begin; t < tile_end; ++t) {
    const bool in_prefix = t < prefix_tiles;
    const int first = (in_prefix ? t : t - prefix_tiles) * kKeys;  // first key of the tile, within its part
    const int count = in_prefix ? min(kKeys, plen - first) : min(kKeys, a.n - first);
    __syncthreads();  // the previous tile's K/V are no longer read
    for (int c = threadIdx.x; c < kKeys * kChunksPerRow; c += kThreads) {
      int j = c / kChunksPerRow, d = (c % kChunksPerRow) * kChunk;
      uint4 key = make_uint4(0, 0, 0, 0), value = key;
      if (j < count) {
        int64_t base = in_prefix ? (a.read_rows[(int64_t)b * a.prefix + first + j] * a.kv_heads + kv) * D
                                 : (((int64_t)b * a.n + first + j) * a.kv_heads + kv) * D;
        const bf16* ks = in_prefix ? a.cache_k : a.k_new;
        const bf16* vs = in_prefix ? a.cache_v : a.v_new;
        key = *reinterpret_cast<const uint4*>(ks + base + d);
        value = *reinterpret_cast<const uint4*>(vs + base + d);
      }
      *reinterpret_cast<uint4*>(sK + j * D + d) = key;
      *reinterpret_cast<uint4*>(sV + j * D + d) = value;
    }
    __syncthreads();

    // S = Q K^T for this warp's 16 rows and the tile's 64 keys.
    float* wS = sS + warp * 16 * kKeys;
#pragma unroll
    for (int nt = 0; nt < kKeys / 16; ++nt) {
      Accumulator acc;
      wmma::fill_fragment(acc, 0.0f);
      // B = K^T: element (d, key) of the tile at sK[key * D + d], column-major.
      mma_accumulate<wmma::col_major, D / 16>(acc, sQ + warp * 16 * D, D, 16, sK + nt * 16 * D, D, 16);
      wmma::store_matrix_sync(wS + nt * 16, acc, kKeys, wmma::mem_row_major);
    }
    __syncwarp();

    // Online softmax: two lanes per row, 32 keys each.
    {
      const int r = lane / 2, half = lane % 2, br = warp * 16 + r, fr = row0 + br;
      const int i = fr % a.n;
      const bool row_valid = fr < folded;
      const uint8_t* mask_row = a.new_mask + ((int64_t)b * a.n + i) * a.n;
      float scores[32];
      float tile_max = -INFINITY;
#pragma unroll
      for (int c = 0; c < 32; ++c) {
        int j = half * 32 + c;
        bool visible = row_valid && j < count && (in_prefix || mask_row[first + j] != 0);
        scores[c] = visible ? wS[r * kKeys + j] * a.scale : -INFINITY;
        tile_max = fmaxf(tile_max, scores[c]);
      }
      tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 1));
      const float m_old = sM[br];
      const float m_new = fmaxf(m_old, tile_max);
      float sum = 0.0f;
#pragma unroll
      for (int c = 0; c < 32; ++c) {
        float p = scores[c] == -INFINITY ? 0.0f : __expf(scores[c] - m_new);
        bf16 rounded = __float2bfloat16(p);
        sP[br * kKeys + half * 32 + c] = rounded;
        sum += __bfloat162float(rounded);  // the sum of what P V adds up
      }
      sum += __shfl_xor_sync(0xffffffffu, sum, 1);
      __syncwarp();
      if (half == 0) {
        const float alpha = __expf(m_old - m_new);
        sAlpha[br] = alpha;
        sL[br] = sL[br] * alpha + sum;
        sM[br] = m_new;
      }
    }
    __syncwarp();

    // O = alpha O + P V.
    float* wO = sO + warp * 16 * D;
    for (int e = lane; e < 16 * D; e += 32) wO[e] *= sAlpha[warp * 16 + e / D];
    __syncwarp();
#pragma unroll
    for (int dt = 0; dt < D / 16; ++dt) {
      Accumulator acc;
      wmma::load_matrix_sync(acc, wO + dt * 16, D, wmma::mem_row_major);
      mma_accumulate<wmma::row_major, kKeys / 16>(acc, sP + warp * 16 * kKeys, kKeys, 16, sV + dt * 16, D, 16 * D);
      wmma::store_matrix_sync(wO + dt * 16, acc, D, wmma::mem_row_major);
    }
    __syncwarp();
  }

  const float* wO = sO + warp * 16 * D;
  if (a.splits > 1) {
    // This split's unnormalised output, max and sum, for the combine kernel.
    const int rows_padded = gridDim.x * kRows;
    const int64_t part = ((int64_t)b * a.kv_heads + kv) * a.splits + split;
    for (int e = lane; e < 16 * D; e += 32) {
      int br = warp * 16 + e / D;
      a.part_o[(part * rows_padded + row0 + br) * D + e % D] = wO[e];
    }
    if (lane < 16) {
      int br = warp * 16 + lane;
      a.part_m[part * rows_padded + row0 + br] = sM[br];
      a.part_l[part * rows_padded + row0 + br] = sL[br];
    }
    return;
  }
  // out = O / l, rounded to bf16.
  for (int e = lane; e < 16 * D; e += 32) {
    int r = e / D, d = e % D, br = warp * 16 + r, fr = row0 + br;
    if (fr >= folded) continue;
    int g = fr / a.n, i = fr % a.n;
    float l = sL[br];
    a.out[(((int64_t)b * a.n + i) * a.heads + (int64_t)kv * groups + g) * D + d] = __float2bfloat16(l > 0.0f ? wO[e] / l : 0.0f);
  }
}

// Combines the splits of one (request, KV head, folded row): one block of D threads per row.
template <int D>
__global__ void combine_splits_kernel(Args a, int rows_padded) {
  const int fr = blockIdx.x, kv = blockIdx.y, b = blockIdx.z, d = threadIdx.x;
  const int groups = a.heads / a.kv_heads;
  if (fr >= groups * a.n) return;
  const int64_t first = ((int64_t)b * a.kv_heads + kv) * a.splits;
  float m = kNoScore;
  for (int s = 0; s < a.splits; ++s) m = fmaxf(m, a.part_m[(first + s) * rows_padded + fr]);
  float l = 0.0f, o = 0.0f;
  for (int s = 0; s < a.splits; ++s) {
    const int64_t at = (first + s) * rows_padded + fr;
    const float w = __expf(a.part_m[at] - m);
    l += a.part_l[at] * w;
    o += a.part_o[at * D + d] * w;
  }
  const int g = fr / a.n, i = fr % a.n;
  a.out[(((int64_t)b * a.n + i) * a.heads + (int64_t)kv * groups + g) * D + d] = __float2bfloat16(l > 0.0f ? o / l : 0.0f);
}

template <int D>
int launch(const Args& a, int batch, cudaStream_t stream) {
  static const cudaError_t configured =
      cudaFuncSetAttribute(paged_attention_kernel<D>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)Smem<D>::bytes);
  if (configured != cudaSuccess) return (int)configured;
  const int folded = a.heads / a.kv_heads * a.n;
  const int row_tiles = (folded + kRows - 1) / kRows;
  dim3 grid((unsigned)row_tiles, (unsigned)a.kv_heads, (unsigned)(batch * a.splits));
  paged_attention_kernel<D><<<grid, kThreads, Smem<D>::bytes, stream>>>(a);
  if (a.splits > 1) {
    cudaError_t launched = cudaGetLastError();
    if (launched != cudaSuccess) return (int)launched;
    combine_splits_kernel<D><<<dim3((unsigned)folded, (unsigned)a.kv_heads, (unsigned)batch), D, 0, stream>>>(a, row_tiles * kRows);
  }
  return (int)cudaGetLastError();
}

}  // namespace

// How many key-range splits the launch for this batch needs: none while its blocks fill every SM once, else enough
// for about one wave, at most one per two key tiles of the padded prefix.
extern "C" int dllm_paged_attention_splits(int batch, int n, int heads, int kv_heads, int prefix, int multiprocessors) {
  const int row_tiles = (heads / kv_heads * n + kRows - 1) / kRows;
  const int blocks = row_tiles * kv_heads * batch;
  if (blocks >= multiprocessors) return 1;
  const int tiles = (prefix + kKeys - 1) / kKeys + (n + kKeys - 1) / kKeys;
  const int wanted = (multiprocessors + blocks - 1) / blocks;
  return wanted < tiles / 2 ? wanted : (tiles / 2 > 1 ? tiles / 2 : 1);
}

// Rows of the split workspace's m and l (and of O, times D) per (request, KV head, split).
extern "C" int dllm_paged_attention_rows_padded(int n, int heads, int kv_heads) {
  return (heads / kv_heads * n + kRows - 1) / kRows * kRows;
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
