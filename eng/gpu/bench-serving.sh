#!/usr/bin/env bash
# Issue 17's serving measurements on the CUDA host, in one call (docs/benchmarks.md records the rows):
#   bash eng/gpu/pack.sh                        # on the development machine
#   bash eng/gpu/bench-serving.sh OUT_DIR [SECONDS] [NAME...]   # on the CUDA host; stops starting runs when SECONDS
#                                                               # (default 540) are spent; with NAMEs, only those runs
# Every run is `eng/gpu/run.sh bench ...` with --json OUT_DIR/NAME.json and its log in OUT_DIR/NAME.log; the tables
# it prints are collected in OUT_DIR/summary.md, and all of it in OUT_DIR.tgz (one file to bring back). The native piece is
# built into .gpu/native first when missing. Runs, in order of priority:
#   graph-check   graphed forwards == eager ones, native kernels == their reference (PASS/FAIL)
#   paged-check   the paged-attention kernel against the gather + SDPA path (values and GPU time per layer)
#   step          graphed step, 1024/8192/16384-token prefixes, batch 1/4/16 (the step bench; the engine's defaults)
#   step-1024     the step bench at a 1024-token prefix only, batch 1/4/16 (the acceptance rows, quickly)
#   step-cublasrouter the step bench with the router's gate projection as a cast and cuBLAS's fp32 GEMM
#                 (--router-logits-kernel false), not the native kernel
#   step-routerfp32 the step bench with the router's gate projection on CUDA cores in fp32 (--router-tensor-cores false:
#                 the native fp32 kernel up to 128 tokens, cuBLAS's fp32 GEMM above), not on tensor cores
#   step-nowiden  the step bench with torch's casting copy for the logits' bf16 -> fp32 (--widen-kernel false)
#   step-fp32logits the step bench with the logits widened to fp32 at the forward (--bf16-logits false): the before of
#                 bf16 logits from the lm_head to the greedy kernel
#   step-before   the step bench with torch's grouped GEMM for 3+ rows per expert and the gather + SDPA attention
#                 (--mma-max-rows 0 --paged-attention false: the engine before the two kernels), 1024/8192, batch 1/4/16
#   step-gather   the step bench with the tensor-core expert kernel but the gather + SDPA attention (--paged-attention false)
#   step-pool     the step bench over the engine's K/V layout (--page-size 32: pages of a block, scattered over the pool)
#   step-sustained  the 1024 x 16 step 300 times in a row (as long as an e2e run: do sustained clocks slow it?)
#   step-masked   the step bench with half of each block the mask id (--mask-fraction 0.5), as in serving: does the
#                 routing of alike mask tokens skew the experts' rows and slow the step?
#   step-masked-grid  step-masked without the pass table (--pass-table false: the tensor-core expert kernel's grid sized
#                 from the mean rows, a hot expert's passes looped over by one block): the before of the pass table
#   step-grid     the step bench without the pass table (random blocks)
#   step-opsrope  the step bench with the attention's qk-norm, rotary embedding and K/V store as ops (--fused-rope false)
#   step-gemvdown the step bench with the GEMV kernel for the experts' down projection at <= 2 rows per expert
#                 (--gemv-min-depth 0)
#   step-serial   the step bench with each MoE layer's shared expert after its routed experts on one stream
#                 (--shared-overlap false), not beside them on a second one
#   step-opsexperts the step bench with the expert path's SwiGLU and combine as ops (--fused-expert-ops false)
#   step-noalign  the step bench with the routed pairs laid out by tensor ops, not the moe_align kernel (--moe-align-kernel false)
#   layers-8192   one MoE layer's pieces at an 8192-token prefix, batch 1/16 (where the long-prefix step goes)
#   e2e           1/16/64/256 concurrent requests, 1024-token prompts, 256 new tokens, warm pass first
#   e2e-fp32logits the e2e run with the logits widened to fp32 at the forward (--bf16-logits false)
#   e2e-synced    the e2e run with a sync after each forward (as e2e-16-synced, at 1/16/64/256 requests)
#   e2e-16        the e2e run at 1/16 requests only (the 10x bar's two rows)
#   e2e-staggered 16 requests arriving 40 ms apart (their blocks end on different steps: a reload rewrites the rows of
#                 the request that moved)
#   e2e-staggered-full  the same with the whole layout rebuilt at such a reload (--partial-reload false): the before
#   e2e-staggered-every  e2e-staggered with a CUDA graph for every batch size (--cuda-graph-bs all): the before of padding
#                 batches up to the graph sizes (1 .. 8, 12, 16, 24, ...)
#   e2e-staggered-64 / -64-every  64 requests arriving 10 ms apart, graph sizes padded / every batch size its own graph
#   e2e-16-waits  the e2e-16 run with each whole reload waiting for the device first, timed apart from its copies
#                 (--reload-wait-apart true; the e2e log's reload counts)
#   e2e-16-synced the e2e-16 run with a sync after each forward (--sync-profile true): `to logits` is the step's device
#                 time, `sample + copy` the sampling alone, and `admit` holds the prompts' prefill on the device
#   e2e-16-pageable  the e2e-16 run with the reloads copied from pageable memory, each copy waiting for the device
#                 (--pinned-reload false): the before of the page-locked twins
#   e2e-16-pageable-waits  e2e-16-pageable with the whole reloads' wait timed apart (is the device busy, or the copies slow?)
#   e2e-opsgreedy the e2e run at 1/16 requests with torch's reductions for the greedy proposals (--native-greedy false)
#   layers-1024   one MoE layer's pieces at a 1024-token prefix, batch 1/16 (the greedy proposals' two paths among them)
#   ttfb-cold/-cached  one request after a 4096-token shared prefix, prefix cache off / on (warm pass fills it)
#   chat-cold/-cached  16 conversations of 4 turns, prefix cache off / on
#   long-8192     16 requests with 8192-token prompts
#   shared-16-cold/-cached  16 requests after one 4096-token shared system prompt, prefix cache off / on
#   long-16384    16 requests with 16384-token prompts
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: $0 OUT_DIR [SECONDS]}"
budget="${2:-540}"
only=" ${*:3} "
mkdir -p "$out"
start=$(date +%s)
root="$(cd "$here/../.." && pwd)"
[[ -f "$root/.gpu/native/libdllm_cuda.so" ]] || bash "$root/src/Dllm.Cuda.Native/build.sh" "$root/.gpu/native" > "$out/native.log" 2>&1 \
  || echo "bench-serving: the native piece did not build (graphs off); see $out/native.log" | tee -a "$out/summary.md"
left() { echo $(( budget - ($(date +%s) - start) )); }
run() { # name args...
  local name=$1; shift
  [[ "$only" == "  " || "$only" == *" $name "* ]] || return 0
  if (( $(left) < 30 )); then echo "=== $name skipped: out of time" | tee -a "$out/summary.md"; return; fi
  echo "=== $name: bench $*" | tee -a "$out/summary.md"
  timeout $(( $(left) - 5 )) bash "$here/run.sh" bench "$@" --json "$out/$name.json" > "$out/$name.log" 2>&1
  echo "exit $?" >> "$out/summary.md"
  grep -E '^\||^device' "$out/$name.log" | tee -a "$out/summary.md"
}
run graph-check --mode graph-check --shape mini-4
run paged-check --mode paged-attention-check --shape mini --prefixes 1024,8192 --batches 1,16
run step --mode model --shape mini --prefixes 1024,8192,16384 --batches 1,4,16 --prefills 1024 --iterations 30
run step-1024 --mode model --shape mini --prefixes 1024 --batches 1,4,16 --iterations 30
run step-cublasrouter --mode model --shape mini --prefixes 1024 --batches 1,4,16 --iterations 30 --router-logits-kernel false
run step-routerfp32 --mode model --shape mini --prefixes 1024 --batches 1,4,16 --iterations 30 --router-tensor-cores false
run step-nowiden --mode model --shape mini --prefixes 1024 --batches 1,4,16 --iterations 30 --widen-kernel false
run step-fp32logits --mode model --shape mini --prefixes 1024 --batches 1,4,16 --iterations 30 --bf16-logits false
run step-before --mode model --shape mini --prefixes 1024,8192 --batches 1,4,16 --prefills 1024 --iterations 30 --mma-max-rows 0 --paged-attention false
run step-sustained --mode model --shape mini --prefixes 1024 --batches 16 --iterations 300
run step-masked --mode model --shape mini --prefixes 1024 --batches 1,4,16 --iterations 30 --mask-fraction 0.5
run step-masked-grid --mode model --shape mini --prefixes 1024 --batches 1,4,16 --iterations 30 --mask-fraction 0.5 --pass-table false
run step-grid --mode model --shape mini --prefixes 1024 --batches 1,4,16 --iterations 30 --pass-table false
run step-opsrope --mode model --shape mini --prefixes 1024 --batches 1,4,16 --iterations 30 --fused-rope false
run step-gemvdown --mode model --shape mini --prefixes 1024 --batches 1,4,16 --iterations 30 --gemv-min-depth 0
run step-serial --mode model --shape mini --prefixes 1024 --batches 1,4,16 --iterations 30 --shared-overlap false
run step-opsexperts --mode model --shape mini --prefixes 1024 --batches 1,4,16 --iterations 30 --fused-expert-ops false
run step-noalign --mode model --shape mini --prefixes 1024 --batches 1,4,16 --iterations 30 --moe-align-kernel false
run step-pool --mode model --shape mini --prefixes 1024 --batches 1,4,16 --iterations 30 --page-size 32
run e2e --mode e2e --shape mini --concurrency 1,16,64,256 --new-tokens 256 --prompt-tokens 1024 --warm-pass true
run e2e-fp32logits --mode e2e --shape mini --concurrency 1,16,64,256 --new-tokens 256 --prompt-tokens 1024 --warm-pass true --bf16-logits false
run e2e-synced --mode e2e --shape mini --concurrency 1,16,64,256 --new-tokens 256 --prompt-tokens 1024 --warm-pass true --sync-profile true
run e2e-16 --mode e2e --shape mini --concurrency 1,16 --new-tokens 256 --prompt-tokens 1024 --warm-pass true
run e2e-16-waits --mode e2e --shape mini --concurrency 1,16 --new-tokens 256 --prompt-tokens 1024 --warm-pass true --reload-wait-apart true
run e2e-16-synced --mode e2e --shape mini --concurrency 1,16 --new-tokens 256 --prompt-tokens 1024 --warm-pass true --sync-profile true
run e2e-16-pageable --mode e2e --shape mini --concurrency 1,16 --new-tokens 256 --prompt-tokens 1024 --warm-pass true --pinned-reload false
run e2e-16-pageable-waits --mode e2e --shape mini --concurrency 1,16 --new-tokens 256 --prompt-tokens 1024 --warm-pass true --pinned-reload false --reload-wait-apart true
run e2e-staggered --mode e2e --shape mini --concurrency 16 --new-tokens 256 --prompt-tokens 1024 --warm-pass true --arrival-ms 40
run e2e-staggered-full --mode e2e --shape mini --concurrency 16 --new-tokens 256 --prompt-tokens 1024 --warm-pass true --arrival-ms 40 --partial-reload false
run e2e-staggered-every --mode e2e --shape mini --concurrency 16 --new-tokens 256 --prompt-tokens 1024 --warm-pass true --arrival-ms 40 --cuda-graph-bs all
run e2e-staggered-64 --mode e2e --shape mini --concurrency 64 --new-tokens 256 --prompt-tokens 1024 --warm-pass true --arrival-ms 10
run e2e-staggered-64-every --mode e2e --shape mini --concurrency 64 --new-tokens 256 --prompt-tokens 1024 --warm-pass true --arrival-ms 10 --cuda-graph-bs all
run e2e-opsgreedy --mode e2e --shape mini --concurrency 1,16 --new-tokens 256 --prompt-tokens 1024 --warm-pass true --native-greedy false
run layers-1024 --mode layer-profile --shape mini --prefixes 1024 --batches 1,16
run ttfb-cold --mode e2e --shape mini --concurrency 1 --new-tokens 64 --shared-prefix 4096 --warm-pass true --radix-cache false
run ttfb-cached --mode e2e --shape mini --concurrency 1 --new-tokens 64 --shared-prefix 4096 --warm-pass true
run long-8192 --mode e2e --shape mini --concurrency 16 --new-tokens 256 --prompt-tokens 8192 --warm-pass true
run step-gather --mode model --shape mini --prefixes 1024,8192 --batches 1,4,16 --prefills 1024 --iterations 30 --paged-attention false
run layers-8192 --mode layer-profile --shape mini --prefixes 8192 --batches 1,16
run chat-cold --mode e2e --shape mini --concurrency 16 --new-tokens 128 --turns 4 --radix-cache false
run chat-cached --mode e2e --shape mini --concurrency 16 --new-tokens 128 --turns 4
run shared-16-cold --mode e2e --shape mini --concurrency 16 --new-tokens 256 --shared-prefix 4096 --warm-pass true --radix-cache false
run shared-16-cached --mode e2e --shape mini --concurrency 16 --new-tokens 256 --shared-prefix 4096 --warm-pass true
run long-16384 --mode e2e --shape mini --concurrency 16 --new-tokens 256 --prompt-tokens 16384 --warm-pass true
echo "done in $(( $(date +%s) - start )) s" | tee -a "$out/summary.md"
tar -C "$out" -czf "$out.tgz" . && echo "bench-serving: everything in $out.tgz"
