nvidia-smi --query-gpu=name --format=csv,noheader
bash eng/gpu/train-demo.sh $OUT/demo 1 4000 > /dev/null 2>&1 || echo "train rc=$?"
rm -rf $OUT/demo/checkpoint-*
grep -E "exact match|miss|held-out loss" $OUT/demo/train.log | tail -22
