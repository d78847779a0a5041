#!/usr/bin/env bash
# Times variants of the grouped expert kernels at the serving shapes, on the CUDA host (nvcc only):
#   bash eng/gpu/kernel-tune.sh [STAGES:BLOCK_KB[:TILE_N] ...]  the tensor-core kernel (grouped_mma.cu; default: a sweep)
#   bash eng/gpu/kernel-tune.sh gemv [WARPS:ROWS:UNROLL ...]  the GEMV kernel (grouped_gemv.cu: warps a block, weight
#                                                         rows a warp, unrolling of its K loop; default: a sweep)
# A GEMV variant is the same check built with -DDLLM_GEMV_WARPS, -DDLLM_GEMV_ROWS and -DDLLM_GEMV_UNROLL; its table
# gives grouped_gemv's ms at batch 1 and 4 (where it runs or might).
# Each variant is grouped_mma_check.cu built with -DDLLM_MMA_STAGES, -DDLLM_MMA_BLOCK_KB and -DDLLM_MMA_TILE_N (the
# pipeline depth, the weight bytes one CUDA block streams, the output columns of a tile: 128 or 64; left out, the
# default); its value checks must pass before its times count. Prints one table: GPU ms of
# the gate+up and down products per batch size, for each variant.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
native="$root/src/Dllm.Cuda.Native"
nvcc="$(command -v nvcc || echo "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc")"
arch="${DLLM_CUDA_ARCH:-native}"
out="$(mktemp -d)"
# Builds the check once per variant (in parallel) with the defines the variant gives, then runs each in turn and prints
# its table row: the times of the rows matching ROWS, the KERNEL's column of them.
#   sweep KERNEL ROWS DEFINE... -- VARIANT...   (a variant is colon-separated values, one per DEFINE)
sweep() {
  local kernel=$1 rows=$2; shift 2
  local defines=() variants=() variant
  while [[ "$1" != -- ]]; do defines+=("$1"); shift; done
  shift
  variants=("$@")
  for variant in "${variants[@]}"; do
    local values flags=() i
    IFS=: read -r -a values <<< "$variant"
    for i in "${!defines[@]}"; do
      if [[ -n "${values[$i]:-}" ]]; then flags+=("-D${defines[$i]}=${values[$i]}"); fi  # a value left out: the default
    done
    "$nvcc" -O3 -std=c++17 -arch="$arch" "${flags[@]}" "$native/checks/grouped_mma_check.cu" "$native/grouped_mma.cu" \
      "$native/grouped_gemv.cu" -o "$out/check-$variant" -lstdc++ -lm &
  done
  wait
  for variant in "${variants[@]}"; do
    local log="$out/check-$variant.log" result=PASS times
    "$out/check-$variant" > "$log" 2>&1 || result=FAIL
    times=$(grep -E "$rows" "$log" | sed -E "s/.*$kernel +([0-9.]+) ms.*/\1/" | tr '\n' '|' | sed 's/|/ | /g')
    echo "| $variant | $result | $times"
  done
}
if [[ "${1:-}" == gemv ]]; then
  shift
  variants=("$@")
  (( ${#variants[@]} )) || variants=(8:4:1 8:4:2 8:4:4 8:8:1 8:8:2 4:8:2 16:2:2 4:4:4 8:2:4)
  echo "| warps:rows:unroll | result | gate+up b=1 | down b=1 | gate+up b=4 | down b=4 |"
  echo "|---|---|---:|---:|---:|---:|"
  sweep grouped_gemv '^  time serving (gate\+up|down) b=(1|4) ' DLLM_GEMV_WARPS DLLM_GEMV_ROWS DLLM_GEMV_UNROLL -- "${variants[@]}"
  exit 0
fi
variants=("$@")
(( ${#variants[@]} )) || variants=(2:128:128 2:128:64 3:128:64 4:128:64 2:256:64 4:256:128 3:256:128 2:256:128)
echo "| stages:KB:tile | result | $(printf 'gate+up b=%s | down b=%s | ' 1 1 4 4 16 16 64 64)"
echo "|---|---|$(printf -- '---:|%.0s' 1 2 3 4 5 6 7 8)"
sweep grouped_mma '^  time serving' DLLM_MMA_STAGES DLLM_MMA_BLOCK_KB DLLM_MMA_TILE_N -- "${variants[@]}"
