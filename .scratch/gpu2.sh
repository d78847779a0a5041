set -e
nvidia-smi --query-gpu=name --format=csv,noheader
t0=$(date +%s)
bash src/Dllm.Cuda.Native/build.sh .gpu/native > $OUT/native-build.log 2>&1 || { echo native build failed; tail -5 $OUT/native-build.log; }
echo "native built in $(( $(date +%s) - t0 )) s"
# before = ad0de06 (bench only; same runtime), after = this checkout
run_bench() { # bundle label
  bash eng/gpu/run.sh bench --mode e2e --shape mini --concurrency 1,16 --new-tokens 256 --json $OUT/e2e-$2.json > $OUT/e2e-$2.log 2>&1 || echo "$2 failed"
  tail -12 $OUT/e2e-$2.log
}
run_bench .gpu after
mv .gpu/bench .gpu/bench-after && cp -r .gpu-before/bench .gpu/bench
run_bench .gpu before
rm -rf .gpu/bench && mv .gpu/bench-after .gpu/bench
