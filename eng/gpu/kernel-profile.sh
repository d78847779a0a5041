#!/usr/bin/env bash
# Where a graphed step's GPU time goes, kernel by kernel, on the CUDA host (with Nsight Compute, `ncu`):
#   bash eng/gpu/kernel-profile.sh OUT_DIR [BATCH] [PREFIX] [BENCH FLAGS...]
# runs the step bench for one batch size (default 16) over one cached prefix (default 1024) under
# `ncu --graph-profiling node` (each kernel of the CUDA graph replays timed on its own: gpu__time_duration.sum), then
# eng/gpu/kernel-profile.py finds the last step in the launch sequence and writes OUT_DIR/kernels.md: per kernel its
# launches a step, GPU µs a step and a launch, and share, with the summed kernel time against the bench's median step
# (the difference: the gaps between kernels). OUT_DIR also gets the raw CSV and the bench's log. Needs the native piece
# (built into .gpu/native when missing).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:?usage: $0 OUT_DIR [BATCH] [PREFIX] [BENCH FLAGS...]}"
batch="${2:-16}" prefix="${3:-1024}"
shift $(( $# < 3 ? $# : 3 ))
mkdir -p "$out"
[[ -f "$root/.gpu/native/libdllm_cuda.so" ]] || bash "$root/src/Dllm.Cuda.Native/build.sh" "$root/.gpu/native" > "$out/native.log" 2>&1
ncu="$(command -v ncu || echo "${CUDA_HOME:-/usr/local/cuda}/bin/ncu")"
python="$(command -v python3 || echo /opt/torch/.venv/bin/python)"
# The bench alone first, for the step's median without the profiler.
bash "$here/run.sh" bench --mode model --shape mini --prefixes "$prefix" --batches "$batch" --prefills 1024 --iterations 30 \
  --json "$out/step.json" "$@" > "$out/step.log" 2>&1
median=$(grep -E "^\| $prefix \| $batch \|" "$out/step.log" | awk -F'|' '{print $4}' | tr -d ' ')
"$ncu" --graph-profiling node --metrics gpu__time_duration.sum --target-processes all -f -o "$out/step" \
  bash "$here/run.sh" bench --mode model --shape mini --prefixes "$prefix" --batches "$batch" --prefills 1024 --iterations 3 \
  --json "$out/profiled.json" "$@" > "$out/ncu.log" 2>&1
"$ncu" --import "$out/step.ncu-rep" --csv --page raw > "$out/kernels.csv" 2>> "$out/ncu.log"
{ echo "batch $batch, prefix $prefix, bench flags: ${*:-none}"; "$python" "$here/kernel-profile.py" "$out/kernels.csv" ${median:+"$median"}; } \
  | tee "$out/kernels.md"
