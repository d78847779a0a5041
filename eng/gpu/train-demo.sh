#!/usr/bin/env bash
# Trains the demo model (issue 13) on the CUDA host with the project's GPU bundle (docs/gpu.md): `dllm train` calls
# Dllm.Training.DemoModelTrainer.RunAsync with these options (TrainingOptions names in brackets), then `dllm eval`
# scores the result at the default LowConfidence settings.
#   bash eng/gpu/pack.sh                               # on the development machine
#   bash eng/gpu/train-demo.sh OUT_DIR [SEED] [STEPS] [EXTRA dllm train FLAGS...]  # on the CUDA host
# The checkpoint (config.json, model.safetensors, tokenizer.json, tokenizer_config.json, training_args.json) lands in
# OUT_DIR, periodic ones in OUT_DIR/checkpoint-STEP; the log (loss, lr, tokens/s, held-out loss, per-task exact match
# through DllmEngine) goes to OUT_DIR/train.log, the loss history and scores to OUT_DIR/training_report.json; the final
# checkpoint with its log and report is also packed as OUT_DIR.tgz (about 11 MiB: one file to bring back, under the
# device's 16 MiB a file). One run keeps the H200 busy (100 % utilisation; three side by side got a third of the
# tokens/s each), so runs go one per call: 5,000 steps take about 5 1/2 minutes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: $0 OUT_DIR [SEED] [STEPS]}"
seed="${2:-1}"
steps="${3:-5000}"
shift $(( $# < 3 ? $# : 3 ))
args=(train
  --output "$out"            # [OutputDirectory]
  --seed "$seed"             # [Seed]: data, initial weights, noise
  --shape demo               # [Shape]: H 256, 4 layers (1 dense + 3 MoE, 16 experts, top-4 of 2/4 groups, 1 shared)
  --steps "$steps"           # [Steps]
  --batch-tokens 16384       # [BatchTokens]: sequences of one length per step (x2 in the forward: noisy + clean)
  --lr 2e-3 --warmup 100     # [LearningRate], [WarmupSteps]; cosine to 10 % [MinLearningRateRatio]
  --weight-decay 0.1 --grad-clip 1.0
  --block-size 32            # [BlockSize]: the engine's default
  --bpe-merges 1200          # [BpeMerges]
  --number-piece-digits 3    # [NumberPieceDigits]: numbers below 1,000 are one pre-token piece (one id each after BPE)
  --counting-range-weight 4  # [CountingRangeWeight]: counting over random ranges "from A to B" (CountingRangeTask)
  --counting-ranges-avoid-held-out false  # [CountingRangesAvoidHeldOut]: ranges may start or end at a held-out N
  --counting-ranges-stop-first true       # [CountingRangesStopFirst]: a range's stop drawn first, its start beyond
  --train-examples 40000 --held-out-examples 200
  --eval-interval 250 --checkpoint-interval 1000 --exact-match-per-task 20
  --tf32 true                # [Tf32]: float32 matmuls on TF32 tensor cores (510,000 forward tokens/s on an H200)
  --deterministic true       # [Deterministic]: bit-reproducible on one GPU and bundle (deterministic algorithms)
  --device cuda --checkpoint-dtype bfloat16)
# Extra flags replace the defaults above of the same name (dllm train takes each flag once).
while (( $# >= 2 )); do
  for i in "${!args[@]}"; do
    if [[ "${args[$i]:-}" == "$1" ]]; then unset 'args[i]' 'args[i+1]'; fi
  done
  args=("${args[@]}" "$1" "$2"); shift 2
done
mkdir -p "$out"
echo "train-demo: commit $(git -C "$here/../.." rev-parse HEAD 2>/dev/null || echo unknown), seed $seed"
echo "train-demo: bash eng/gpu/run.sh app ${args[*]}"
if ! bash "$here/run.sh" app --help 2>/dev/null | grep -qw train; then
  echo "train-demo: this bundle's app has no 'train' command: re-run bash eng/gpu/pack.sh." >&2
  exit 3
fi
bash "$here/run.sh" app "${args[@]}" 2>&1 | tee "$out/train.log"
tar -C "$out" -czf "$out.tgz" config.json model.safetensors tokenizer.json tokenizer_config.json training_args.json \
  training_report.json train.log
echo "train-demo: checkpoint, log and report in $out.tgz ($(du -h "$out.tgz" | cut -f1))"
