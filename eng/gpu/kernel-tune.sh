#!/usr/bin/env bash
# Times variants of the grouped tensor-core expert kernel (src/Dllm.Cuda.Native/grouped_mma.cu) at the serving shapes,
# on the CUDA host (nvcc only):
#   bash eng/gpu/kernel-tune.sh [STAGES:BLOCK_KB ...]     (default: a sweep around the library's 4:256)
# Each variant is grouped_mma_check.cu built with -DDLLM_MMA_STAGES and -DDLLM_MMA_BLOCK_KB (the pipeline depth and the
# weight bytes one CUDA block streams); its value checks must pass before its times count. Prints one table: GPU ms of
# the gate+up and down products per batch size, for each variant.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
native="$root/src/Dllm.Cuda.Native"
nvcc="$(command -v nvcc || echo "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc")"
arch="${DLLM_CUDA_ARCH:-native}"
variants=("$@")
(( ${#variants[@]} )) || variants=(4:256 4:128 4:512 4:1024 3:256 3:512 2:256 2:128)
out="$(mktemp -d)"
echo "| stages:KB | result | $(printf 'gate+up b=%s | down b=%s | ' 1 1 4 4 16 16 64 64)"
echo "|---|---|$(printf -- '---:|%.0s' 1 2 3 4 5 6 7 8)"
for variant in "${variants[@]}"; do
  stages="${variant%%:*}" kb="${variant##*:}"
  binary="$out/check-$stages-$kb"
  "$nvcc" -O3 -std=c++17 -arch="$arch" -DDLLM_MMA_STAGES="$stages" -DDLLM_MMA_BLOCK_KB="$kb" \
    "$native/checks/grouped_mma_check.cu" "$native/grouped_mma.cu" "$native/grouped_gemv.cu" -o "$binary" -lstdc++ -lm
  log="$out/$stages-$kb.log"
  result=PASS
  "$binary" > "$log" 2>&1 || result=FAIL
  times=$(grep -E '^  time serving' "$log" | sed -E 's/.*grouped_mma +([0-9.]+) ms.*/\1/' | tr '\n' '|' | sed 's/|/ | /g')
  echo "| $stages:$kb | $result | $times"
done
