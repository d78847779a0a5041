set -e
run_bench() { # label [env]
  env $2 bash eng/gpu/run.sh bench --mode e2e --shape mini --concurrency 1,16 --new-tokens 256 --json $OUT/e2e-$1.json > $OUT/e2e-$1.log 2>&1 || echo "$1 failed"
  grep -E "^\| (random|peaked)" $OUT/e2e-$1.log | sed "s/^/$1 /"
}
bash src/Dllm.Cuda.Native/build.sh .gpu/native > /dev/null 2>&1 || echo native-failed
run_bench after-active OMP_WAIT_POLICY=ACTIVE
run_bench after-again X=1
mv .gpu/bench .gpu/bench-after && cp -r .gpu-before/bench .gpu/bench
run_bench onepath X=1
rm -rf .gpu/bench && mv .gpu/bench-after .gpu/bench
