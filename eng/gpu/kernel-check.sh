#!/usr/bin/env bash
# Kernel-level GPU checks of the native piece, on the CUDA host (no .NET, no libtorch needed):
#   bash eng/gpu/kernel-check.sh [small]
# builds and runs, each with the kernels it checks:
# - src/Dllm.Cuda.Native/checks/paged_attention_check.cu: values against a naive fp32 reference over edge cases
#   (PASS/FAIL per row), then, unless `small`, the kernel's GPU time at the serving shapes and at each split count;
# - src/Dllm.Cuda.Native/checks/grouped_mma_check.cu: grouped_mma.cu's values against an fp32 reference over uneven
#   group sizes, edge shapes and the MoE layer's serving shapes (PASS/FAIL per row), the shapes it refuses, then,
#   unless `small`, its GPU time and bytes per second at the serving shapes beside grouped_gemv.cu's;
# - src/Dllm.Cuda.Native/checks/moe_align_check.cu: moe_align.cu's layout of the routed pairs by expert (ends,
#   token_of_row, row_of_pair) compared exactly with a host stable sort over top-k routings, skewed and one-expert
#   routings, E = 1 and 512, k = 1 and 6, no pairs, and the inputs it refuses (PASS/FAIL per row), then, unless
#   `small`, its GPU time a launch at k = 8, E = 256 for T = 1, 16, 64, 512 and 16384 tokens.
# - src/Dllm.Cuda.Native/checks/moe_router_check.cu: moe_router.cu's gate projection (partial sums over K ranges)
#   against logits in double, and its router kernel against a host router over the same logits (PASS/FAIL per row),
#   the shapes it refuses, then, unless `small`, both kernels' GPU time a launch at T = 32, 128, 512 and 4096.
# All run even when one fails; the exit code is 1 when any row of any fails. The engine-level check of the
# paged-attention kernel against the gather + SDPA path is `bench --mode paged-attention-check` (bench-serving.sh
# runs it).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
native="$root/src/Dllm.Cuda.Native"
nvcc="$(command -v nvcc || echo "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc")"
arch="${DLLM_CUDA_ARCH:-native}"
out="$(mktemp -d)"
"$nvcc" -O3 -std=c++17 -arch="$arch" "$native/checks/paged_attention_check.cu" "$native/paged_attention.cu" \
  -o "$out/paged_attention_check" -lstdc++ -lm
"$nvcc" -O3 -std=c++17 -arch="$arch" "$native/checks/grouped_mma_check.cu" "$native/grouped_mma.cu" \
  "$native/grouped_gemv.cu" -o "$out/grouped_mma_check" -lstdc++ -lm
"$nvcc" -O3 -std=c++17 -arch="$arch" "$native/checks/moe_align_check.cu" "$native/moe_align.cu" \
  -o "$out/moe_align_check" -lstdc++ -lm
"$nvcc" -O3 -std=c++17 -arch="$arch" "$native/checks/moe_router_check.cu" "$native/moe_router.cu" \
  -o "$out/moe_router_check" -lstdc++ -lm
status=0
echo "== paged attention"
"$out/paged_attention_check" "$@" || status=1
echo "== grouped mma"
"$out/grouped_mma_check" "$@" || status=1
echo "== moe align"
"$out/moe_align_check" "$@" || status=1
echo "== moe router"
"$out/moe_router_check" "$@" || status=1
exit "$status"
