set -e
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
rm -rf /tmp/demo
rate=1
sps=1
steps=4750
echo "calibration: $rate tokens/s = $sps steps/s -> $steps steps"
echo "$steps" > $OUT/steps.txt
bash eng/gpu/train-demo.sh /tmp/demo 1 $steps > /dev/null 2>&1 || echo "train failed rc=$?"
mkdir -p $OUT/demo
cp /tmp/demo/*.json /tmp/demo/*.safetensors /tmp/demo/train.log $OUT/demo/ 2>/dev/null || true
tail -30 /tmp/demo/train.log
