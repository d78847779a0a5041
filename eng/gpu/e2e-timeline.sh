#!/usr/bin/env bash
# Where the end-to-end step's time outside the GPU goes, on the CUDA host (docs/benchmarks.md records the findings):
#   bash eng/gpu/e2e-timeline.sh OUT_DIR [CONCURRENCY] [E2E BENCH FLAGS...]
# Runs `bench --mode e2e` at one concurrency (default 16; 1,024-token prompts, 128 new tokens, random weights) under
# Nsight Systems (CUDA API and GPU activity, graphs as whole launches), exports the trace to SQLite and prints, with
# eng/gpu/e2e-timeline.py, the GPU's idle gaps between its work in the last half of the run (steady serving) and the CUDA
# API calls the host made during them: what the GPU waits for between two steps.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:?usage: $0 OUT_DIR [CONCURRENCY] [E2E BENCH FLAGS...]}"
concurrency="${2:-16}"
shift $(( $# < 2 ? $# : 2 ))
mkdir -p "$out"
[[ -f "$root/.gpu/native/libdllm_cuda.so" ]] || bash "$root/src/Dllm.Cuda.Native/build.sh" "$root/.gpu/native" > "$out/native.log" 2>&1
find_tool() { command -v "$1" || ls -d "${CUDA_HOME:-/usr/local/cuda}/bin/$1" /opt/nvidia/nsight-*/*/bin/"$1" /opt/nvidia/nsight-*/bin/"$1" /usr/local/cuda/nsight-*/bin/"$1" 2>/dev/null | head -1; }
nsys="$(find_tool nsys)"
[[ -n "$nsys" ]] || { echo "e2e-timeline: no nsys on this host" | tee "$out/timeline.md"; exit 1; }
python="$(command -v python3 || echo /opt/torch/.venv/bin/python)"
"$nsys" profile --trace=cuda --cuda-graph-trace=graph --sample=none --cpuctxsw=none -f true -o "$out/e2e" \
  bash "$here/run.sh" bench --mode e2e --shape mini --concurrency "$concurrency" --new-tokens 128 --prompt-tokens 1024 --warm-pass true \
  --json "$out/e2e.json" "$@" > "$out/nsys.log" 2>&1
"$nsys" export --type sqlite --force-overwrite true -o "$out/e2e.sqlite" "$out/e2e.nsys-rep" >> "$out/nsys.log" 2>&1
"$python" "$here/e2e-timeline.py" "$out/e2e.sqlite" | tee "$out/timeline.md"
