#!/usr/bin/env bash
# Times variants of the grouped expert kernels at the serving shapes, on the CUDA host (nvcc only):
#   bash eng/gpu/kernel-tune.sh [STAGES:BLOCK_KB ...]     the tensor-core kernel (grouped_mma.cu; default: a sweep)
#   bash eng/gpu/kernel-tune.sh gemv [WARPS:ROWS:UNROLL ...]  the GEMV kernel (grouped_gemv.cu: warps a block, weight
#                                                         rows a warp, unrolling of its K loop; default: a sweep)
# A GEMV variant is the same check built with -DDLLM_GEMV_WARPS, -DDLLM_GEMV_ROWS and -DDLLM_GEMV_UNROLL; its table
# gives grouped_gemv's ms at batch 1 and 4 (where it runs or might).
# Each variant is grouped_mma_check.cu built with -DDLLM_MMA_STAGES and -DDLLM_MMA_BLOCK_KB (the pipeline depth and the
# weight bytes one CUDA block streams); its value checks must pass before its times count. Prints one table: GPU ms of
# the gate+up and down products per batch size, for each variant.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
native="$root/src/Dllm.Cuda.Native"
nvcc="$(command -v nvcc || echo "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc")"
arch="${DLLM_CUDA_ARCH:-native}"
out="$(mktemp -d)"
if [[ "${1:-}" == gemv ]]; then
  shift
  variants=("$@")
  (( ${#variants[@]} )) || variants=(8:4:1 8:4:2 8:4:4 8:8:1 8:8:2 4:8:2 16:2:2 4:4:4 8:2:4)
  echo "| warps:rows:unroll | result | gate+up b=1 | down b=1 | gate+up b=4 | down b=4 |"
  echo "|---|---|---:|---:|---:|---:|"
  for variant in "${variants[@]}"; do  # the builds in parallel, the timed runs one by one
    IFS=: read -r warps rows unroll <<< "$variant"
    "$nvcc" -O3 -std=c++17 -arch="$arch" -DDLLM_GEMV_WARPS="$warps" -DDLLM_GEMV_ROWS="$rows" -DDLLM_GEMV_UNROLL="$unroll" \
      "$native/checks/grouped_mma_check.cu" "$native/grouped_mma.cu" "$native/grouped_gemv.cu" -o "$out/gemv-$variant" -lstdc++ -lm &
  done
  wait
  for variant in "${variants[@]}"; do
    log="$out/gemv-$variant.log"
    result=PASS
    "$out/gemv-$variant" > "$log" 2>&1 || result=FAIL
    times=$(grep -E '^  time serving (gate\+up|down) b=(1|4) ' "$log" | sed -E 's/.*grouped_gemv +([0-9.]+) ms.*/\1/' | tr '\n' '|' | sed 's/|/ | /g')
    echo "| $variant | $result | $times"
  done
  exit 0
fi
variants=("$@")
(( ${#variants[@]} )) || variants=(4:256 4:128 4:512 4:1024 3:256 3:512 2:256 2:128)
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
