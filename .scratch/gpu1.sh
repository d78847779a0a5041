set -e
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
bash eng/gpu/run.sh app train --output /tmp/cal --shape demo --steps 40 --batch-tokens 16384 --eval-interval 0 --checkpoint-interval 0 --exact-match-per-task -1 --device cuda --log-interval 10 2>&1 | tee $OUT/calibration.log | grep -E "step 40/|Demo model" || true
rate=$(grep -oE "step 40/40 .* ([0-9,]+) tokens/s" $OUT/calibration.log | grep -oE "[0-9,]+ tokens/s" | tr -d ', tokens/s')
sps=$(python3 -c "print($rate/32768)")
steps=$(python3 -c "import math; print(min(6000, int($sps*400/250)*250))")
echo "calibration: $rate tokens/s = $sps steps/s -> $steps steps"
echo "$steps" > $OUT/steps.txt
bash eng/gpu/train-demo.sh /tmp/demo 1 $steps > /dev/null 2>&1 || echo "train failed rc=$?"
mkdir -p $OUT/demo
cp /tmp/demo/*.json /tmp/demo/*.safetensors /tmp/demo/train.log $OUT/demo/ 2>/dev/null || true
tail -30 /tmp/demo/train.log
