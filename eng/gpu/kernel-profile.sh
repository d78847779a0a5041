#!/usr/bin/env bash
# Where a graphed step's GPU time goes, kernel by kernel, on the CUDA host:
#   bash eng/gpu/kernel-profile.sh OUT_DIR [BATCH] [PREFIX] [BENCH FLAGS...]
#   bash eng/gpu/kernel-profile.sh OUT_DIR prefill LENGTH [BENCH FLAGS...]   (a whole-prompt prefill of LENGTH tokens)
# runs the step bench for one batch size (default 16) over one cached prefix (default 1024) and records its last three
# timed steps only (the bench's --profile-range opens the profiler's range around them, not around the model's load,
# which launches some 17,000 kernels) under Nsight Compute
# (`ncu --graph-profiling node`: each kernel of the CUDA graph runs timed on its own, gpu__time_duration.sum, at the
# clocks and with the caches the bench runs at: --clock-control none --cache-control none), or,
# when ncu cannot profile (no access to the GPU's counters, say), under Nsight Systems (`nsys --cuda-graph-trace=node`:
# each graph node's start and end on the GPU, so the gaps between kernels show too). eng/gpu/kernel-profile.py then
# finds the last step in the launch sequence and writes OUT_DIR/kernels.md: per kernel its launches a step, GPU µs a
# step and a launch, and share, with the summed kernel time against the bench's median step (the difference: the gaps
# between kernels). OUT_DIR also gets the raw CSV and the logs. Needs the native piece (built into .gpu/native when
# missing). Environment: DLLM_PROFILER=ncu|nsys picks one.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:?usage: $0 OUT_DIR [BATCH] [PREFIX] [BENCH FLAGS...]}"
batch="${2:-16}" prefix="${3:-1024}"
shift $(( $# < 3 ? $# : 3 ))
# `kernel-profile.sh OUT prefill LENGTH`: a whole-prompt prefill of LENGTH tokens (eager, one request) instead of a step.
prefill=""
if [[ "$batch" == prefill ]]; then
  prefill="$prefix"
  set -- --prefills "$prefill" --prefixes 0 --batches 1 --profile-prefill true --profile-range false "$@"
  batch=1 prefix=0
fi
mkdir -p "$out"
[[ -f "$root/.gpu/native/libdllm_cuda.so" ]] || bash "$root/src/Dllm.Cuda.Native/build.sh" "$root/.gpu/native" > "$out/native.log" 2>&1
find_tool() { command -v "$1" || ls -d "${CUDA_HOME:-/usr/local/cuda}/bin/$1" /opt/nvidia/nsight-*/*/bin/"$1" /opt/nvidia/nsight-*/bin/"$1" /usr/local/cuda/nsight-*/bin/"$1" 2>/dev/null | head -1; }
python="$(command -v python3 || echo /opt/torch/.venv/bin/python)"
bench=(bash "$here/run.sh" bench --mode model --shape mini --prefixes "$prefix" --batches "$batch" --prefills 1024)
# The bench alone first, for the step's median without the profiler.
"${bench[@]}" --iterations 30 --json "$out/step.json" "$@" > "$out/step.log" 2>&1
if [[ -n "$prefill" ]]; then  # the prefill table's row: | tokens | median ms | tokens/s |
  median=$(grep -E "^\| $prefill \| [0-9.]+ \| [0-9]+ \|$" "$out/step.log" | head -1 | awk -F'|' '{print $3}' | tr -d ' ')
else
  median=$(grep -E "^\| $prefix \| $batch \|" "$out/step.log" | awk -F'|' '{print $4}' | tr -d ' ')
fi
csv=""
if [[ "${DLLM_PROFILER:-ncu}" == ncu ]] && ncu="$(find_tool ncu)" && [[ -n "$ncu" ]]; then
  "$ncu" --profile-from-start off --clock-control none --cache-control none --graph-profiling node --metrics gpu__time_duration.sum --target-processes all -f -o "$out/step" \
    "${bench[@]}" --iterations 3 --profile-range true --json "$out/profiled.json" "$@" > "$out/ncu.log" 2>&1
  "$ncu" --import "$out/step.ncu-rep" --csv --page raw > "$out/kernels.csv" 2>> "$out/ncu.log" && [[ -s "$out/kernels.csv" ]] \
    && grep -q "Kernel Name" "$out/kernels.csv" && csv="$out/kernels.csv"
  [[ -n "$csv" ]] || echo "kernel-profile: ncu gave no kernels (see $out/ncu.log); trying nsys" >&2
fi
if [[ -z "$csv" ]] && nsys="$(find_tool nsys)" && [[ -n "$nsys" ]]; then
  "$nsys" profile --capture-range=cudaProfilerApi --cuda-graph-trace=node --trace=cuda --sample=none --cpuctxsw=none -f true -o "$out/step" \
    "${bench[@]}" --iterations 3 --profile-range true --json "$out/profiled.json" "$@" > "$out/nsys.log" 2>&1
  "$nsys" stats --report cuda_gpu_trace --format csv --force-export=true -o "$out/trace" "$out/step.nsys-rep" >> "$out/nsys.log" 2>&1
  f=$(ls "$out"/trace*cuda_gpu_trace*.csv 2>/dev/null | head -1)
  [[ -n "$f" ]] && mv "$f" "$out/kernels.csv" && csv="$out/kernels.csv"
fi
[[ -n "$csv" ]] || { echo "kernel-profile: neither ncu nor nsys gave a kernel trace (logs in $out)" | tee "$out/kernels.md"; exit 1; }
{ echo "batch $batch, prefix $prefix, bench flags: ${*:-none}"; "$python" "$here/kernel-profile.py" "$csv" ${median:+"$median"}; } \
  | tee "$out/kernels.md"
