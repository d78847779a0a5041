// The PTX pieces the tensor-core kernels share (paged_attention.cu, grouped_mma.cu), sm_80 and up: asynchronous
// global -> shared copies, ldmatrix, and the bf16 mma.sync m16n8k16 with fp32 accumulators. Shared memory is
// addressed with 32-bit shared-window addresses (dst, p below).
#pragma once
#include <cstdint>

namespace dllm_ptx {

// 16 bytes global -> shared, asynchronously; zeros when !valid (then nothing is read).
__device__ __forceinline__ void copy16_async(uint32_t dst, const void* src, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(valid ? 16 : 0) : "memory");
}

__device__ __forceinline__ void commit_copies() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }

// Waits until at most Pending committed groups of copies are still in flight.
template <int Pending>
__device__ __forceinline__ void wait_copies() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(Pending) : "memory");
}

// Four 8x8 bf16 matrices from shared memory, lane l giving the address of row l % 8 of matrix l / 8; register k of
// lane l holds row l / 4, columns 2 (l % 4) and 2 (l % 4) + 1 of matrix k.
__device__ __forceinline__ void load_matrices(uint32_t (&r)[4], uint32_t p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(p)
               : "memory");
}

// The same, transposed: register k of lane l holds column l / 4, rows 2 (l % 4) and 2 (l % 4) + 1 of matrix k.
__device__ __forceinline__ void load_matrices_transposed(uint32_t (&r)[4], uint32_t p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(p)
               : "memory");
}

// c += a b: a 16 x 16 (row-major fragment), b 16 x 8 (column-major fragment), c 16 x 8 fp32. In c, lane l holds rows
// l / 4 (c[0], c[1]) and l / 4 + 8 (c[2], c[3]), columns 2 (l % 4) and 2 (l % 4) + 1.
__device__ __forceinline__ void mma(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

}  // namespace dllm_ptx
