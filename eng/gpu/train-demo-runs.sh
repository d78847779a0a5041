#!/usr/bin/env bash
# Trains several demo-model runs side by side on one GPU (each one eng/gpu/train-demo.sh), to compare recipes or to
# show that the documented command reproduces its model, within one device call:
#   bash eng/gpu/train-demo-runs.sh OUT_DIR LIMIT_S NAME:SEED:STEPS[:FLAG,VALUE,FLAG,VALUE...] ...
#   e.g. bash eng/gpu/train-demo-runs.sh $OUT 540 a:1:4000 a2:1:4000 w2:1:4000:--counting-range-weight,2
# The demo model is small, so one run leaves most of the GPU idle. Each run trains in /tmp/demo-runs/NAME; what comes
# back lands in OUT_DIR: NAME.log (its train.log) and NAME.tgz (config.json, model.safetensors, tokenizer.json,
# tokenizer_config.json, training_args.json, training_report.json, train.log: about 13 MiB), plus gpu.csv (nvidia-smi
# every 15 s). Runs are projected from their step rate after 150 s; while the slowest would end after LIMIT_S, the
# last-named run still going is stopped (its log is kept), so the first-named runs finish.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: $0 OUT_DIR LIMIT_S NAME:SEED:STEPS[:FLAGS] ...}"
limit="${2:?usage: $0 OUT_DIR LIMIT_S NAME:SEED:STEPS[:FLAGS] ...}"
shift 2
mkdir -p "$out"
start=$(date +%s)
bash "$here/run.sh" app --help > /dev/null   # unpacks the .NET runtime once, before the runs start side by side
nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv -l 15 > "$out/gpu.csv" 2>/dev/null &
smi=$!
names=(); pids=(); totals=()
for spec in "$@"; do
  IFS=: read -r name seed steps flags <<< "$spec"
  IFS=, read -r -a extra <<< "${flags:-}"
  dir="/tmp/demo-runs/$name"
  rm -rf "$dir"; mkdir -p "$dir"
  bash "$here/train-demo.sh" "$dir" "$seed" "$steps" "${extra[@]}" > "$dir/stdout.txt" 2>&1 &
  names+=("$name"); pids+=($!); totals+=("$steps")
  echo "train-demo-runs: $name (seed $seed, $steps steps, ${flags:-no extra flags}) pid ${pids[-1]}"
done
step_of() { grep -o "step [0-9]*/" "/tmp/demo-runs/$1/train.log" 2>/dev/null | tail -1 | tr -dc 0-9; }
while :; do
  sleep 10
  now=$(( $(date +%s) - start )); running=0; worst=0; last=-1
  for i in "${!names[@]}"; do
    (( pids[i] > 0 )) && kill -0 "${pids[$i]}" 2>/dev/null || continue
    running=1; last=$i
    s=$(step_of "${names[$i]}"); s=${s:-0}
    if (( s > 0 )); then eta=$(( now * totals[i] / s + 30 )); (( eta > worst )) && worst=$eta; fi
  done
  (( running )) || break
  if (( now >= 150 && worst > limit && last >= 0 )); then
    echo "train-demo-runs: at ${now}s the slowest run would end at ${worst}s > ${limit}s: stopping ${names[$last]}"
    kill -- "${pids[$last]}" 2>/dev/null; pkill -f "/tmp/demo-runs/${names[$last]}" 2>/dev/null
    wait "${pids[$last]}" 2>/dev/null; pids[$last]=0
  fi
  (( now >= limit )) && { echo "train-demo-runs: ${limit}s reached"; pkill -f /tmp/demo-runs/; break; }
done
kill "$smi" 2>/dev/null
for name in "${names[@]}"; do
  dir="/tmp/demo-runs/$name"
  cp "$dir/train.log" "$out/$name.log" 2>/dev/null || cp "$dir/stdout.txt" "$out/$name.log"
  if [[ -f "$dir/training_report.json" ]]; then
    tar -C "$dir" -czf "$out/$name.tgz" config.json model.safetensors tokenizer.json tokenizer_config.json training_args.json training_report.json train.log
  fi
  echo "train-demo-runs: $name: $(grep -c 'exact match' "$out/$name.log") exact-match lines, $(ls -s --block-size=K "$out/$name.tgz" 2>/dev/null | cut -d' ' -f1 || echo 'no checkpoint')"
done
echo "train-demo-runs: done in $(( $(date +%s) - start ))s"
