#!/usr/bin/env bash
# Kernel-level GPU checks of the native piece, on the CUDA host (no .NET, no libtorch needed):
#   bash eng/gpu/kernel-check.sh [small]
# builds src/Dllm.Cuda.Native/checks/paged_attention_check.cu with the kernel it checks and runs it: values against a
# naive fp32 reference over edge cases (PASS/FAIL per row, exit code 1 when any fails), then, unless `small`, the
# kernel's GPU time at the serving shapes and at each split count. The engine-level check of the same kernel against
# the gather + SDPA path is `bench --mode paged-attention-check` (bench-serving.sh runs it).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
nvcc="$(command -v nvcc || echo "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc")"
out="$(mktemp -d)"
"$nvcc" -O3 -std=c++17 -arch="${DLLM_CUDA_ARCH:-native}" "$root/src/Dllm.Cuda.Native/checks/paged_attention_check.cu" \
  "$root/src/Dllm.Cuda.Native/paged_attention.cu" -o "$out/paged_attention_check" -lstdc++ -lm
"$out/paged_attention_check" "$@"
