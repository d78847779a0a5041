#!/usr/bin/env bash
# Issue 8 on a multi-GPU host (e.g. 2x H200): LLaDA2.0-flash shape, dummy bf16 weights, layers split over N GPUs.
#   bash eng/gpu/flash-multi-gpu.sh [N=2] [OUT=.]
# Prints the memory plan, checks a split against one device on a tiny model, then measures steps and
# end-to-end throughput at 1 and 16 concurrent requests (tables for docs/benchmarks.md; JSON in OUT).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
n="${1:-2}"; out="${2:-.}"
bash "$here/run.sh" app plan --shape flash --gpus "$n" --gpu-memory-gb 141
map="$(seq 0 $((n - 1)) | awk -v n="$n" '{ f = int($1 * 4 / n); l = int(($1 + 1) * 4 / n) - 1; printf "%s%d-%d:cuda:%d", (NR > 1 ? "," : ""), f, l, $1 }')"
bash "$here/run.sh" bench --mode split-check --shape tiny-4 --device cuda:0 --device-map "$map"
bash "$here/run.sh" bench --shape flash --gpus "$n" --prefixes 1024 --batches 1,16 --prefills 1024 --iterations 20 --json "$out/flash-steps.json"
bash "$here/run.sh" bench --mode e2e --shape flash --gpus "$n" --concurrency 1,16 --new-tokens 256 --json "$out/flash-e2e.json"
