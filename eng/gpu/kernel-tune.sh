#!/usr/bin/env bash
# Times variants of the grouped expert kernels at the serving shapes, on the CUDA host (nvcc only):
#   bash eng/gpu/kernel-tune.sh [STAGES:BLOCK_KB[:TILE_N[:TILE_K[:MIN_BLOCKS[:MAX_ROWS]]]]] ...]  the tensor-core
#                                                         kernel (grouped_mma.cu; default: a sweep)
#   bash eng/gpu/kernel-tune.sh gemv [WARPS:ROWS:UNROLL ...]  the GEMV kernel (grouped_gemv.cu: warps a block, weight
#                                                         rows a warp, unrolling of its K loop; default: a sweep)
# A GEMV variant is the same check built with -DDLLM_GEMV_WARPS, -DDLLM_GEMV_ROWS and -DDLLM_GEMV_UNROLL; its table
# gives grouped_gemv's ms at batch 1 and 4 (where it runs or might).
# Each variant is grouped_mma_check.cu built with -DDLLM_MMA_STAGES, -DDLLM_MMA_BLOCK_KB, -DDLLM_MMA_TILE_N,
# -DDLLM_MMA_TILE_K, -DDLLM_MMA_MIN_BLOCKS and -DDLLM_MMA_MAX_ROWS (the pipeline depth, the weight bytes one CUDA
# block streams, the output columns of a tile: 128 or 64, the k of a stage: 64 or 128, the blocks an SM must hold for
# the register budget, the token rows of a pass: 64 or 32; left out, the default); its value checks must pass before its
# times count. Prints one table: GPU ms of the gate+up and down products per batch size, for each variant, launched as
# the engine launches them (with the pass table), and the registers a thread and the spills ptxas reports.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
native="$root/src/Dllm.Cuda.Native"
nvcc="$(command -v nvcc || echo "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc")"
arch="${DLLM_CUDA_ARCH:-native}"
out="$(mktemp -d)"
# Builds the check once per variant (in parallel) with the defines the variant gives, then runs each in turn and prints
# its table row: the times of the rows matching ROWS, the COLUMN (a label of the check's time lines) of them, and
# ptxas's registers and spill stores of the KERNEL.
#   sweep COLUMN KERNEL ROWS DEFINE... -- VARIANT...   (a variant is colon-separated values, one per DEFINE)
sweep() {
  local column=$1 kernel=$2 rows=$3; shift 3
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
    "$nvcc" -O3 -std=c++17 -arch="$arch" -Xptxas -v "${flags[@]}" "$native/checks/grouped_mma_check.cu" \
      "$native/grouped_mma.cu" "$native/grouped_gemv.cu" -o "$out/check-$variant" -lstdc++ -lm > "$out/build-$variant.log" 2>&1 &
  done
  wait
  for variant in "${variants[@]}"; do
    local log="$out/check-$variant.log" result=PASS times usage
    if [[ ! -x "$out/check-$variant" ]]; then echo "| $variant | BUILD FAILED | $(grep -m1 error "$out/build-$variant.log")"; continue; fi
    "$out/check-$variant" > "$log" 2>&1 || result=FAIL
    times=$(grep -E "$rows" "$log" | sed -E "s/.*$column +([0-9.]+) ms.*/\1/" | tr '\n' '|' | sed 's/|/ | /g')
    # ptxas prints the kernel's "Compiling entry function" line, then its registers ("Used N registers") and spills.
    usage=$(grep -A3 "entry function '[^']*${kernel}" "$out/build-$variant.log" || true)
    usage="$(grep -oE 'Used [0-9]+ registers' <<< "$usage" | grep -oE '[0-9]+' | head -1) registers, $(grep -oE \
      '[0-9]+ bytes spill stores' <<< "$usage" | grep -oE '^[0-9]+' | head -1) B spilled"
    echo "| $variant | $result | $times$usage |"
  done
}
if [[ "${1:-}" == gemv ]]; then
  shift
  variants=("$@")
  (( ${#variants[@]} )) || variants=(8:4:1 8:4:2 8:4:4 8:8:1 8:8:2 4:8:2 16:2:2 4:4:4 8:2:4)
  echo "| warps:rows:unroll | result | gate+up b=1 | down b=1 | gate+up b=4 | down b=4 | registers, spills |"
  echo "|---|---|---:|---:|---:|---:|---|"
  sweep grouped_gemv grouped_gemv '^  time serving (gate\+up|down) b=(1|4) ' DLLM_GEMV_WARPS DLLM_GEMV_ROWS DLLM_GEMV_UNROLL -- "${variants[@]}"
  exit 0
fi
variants=("$@")
(( ${#variants[@]} )) || variants=(2:128:128:64:4 2:128:128:64:2 2:128:128:64:4:32 3:128:128:64:4:32 2:256:128:64:4 2:128:64:64:6
                                    2:128:128:128 3:128:128:64)
echo "| stages:KB:tile:k:blocks:rows | result | $(printf 'gate+up b=%s | down b=%s | ' 1 1 4 4 16 16 64 64)registers, spills |"
echo "|---|---|$(printf -- '---:|%.0s' 1 2 3 4 5 6 7 8)---|"
sweep 'with the pass table' grouped_mma_kernel '^  time serving' DLLM_MMA_STAGES DLLM_MMA_BLOCK_KB DLLM_MMA_TILE_N \
  DLLM_MMA_TILE_K DLLM_MMA_MIN_BLOCKS DLLM_MMA_MAX_ROWS -- "${variants[@]}"
