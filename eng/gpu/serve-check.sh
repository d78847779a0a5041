#!/usr/bin/env bash
# Issue 6 on the CUDA host: `dllm serve` with a mini-shaped synthetic checkpoint answers the seed's curl
# requests and the OpenAI .NET SDK, and reports its CUDA graphs (/get_server_info's cuda_graphs).
#   bash eng/gpu/serve-check.sh [OUT=.] [SHAPE=mini-4]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; root="$(cd "$here/../.." && pwd)"
out="${1:-.}"; shape="${2:-mini-4}"; model="/tmp/dllm-$shape"
[[ -f "$model/tokenizer.json" ]] || bash "$here/run.sh" app synth -o "$model" --shape "$shape" --dtype bfloat16 --overwrite
# The seed's command line with the SGLang launcher replaced by dllm serve (local model path, no hub).
bash "$here/run.sh" app serve --model-path "$model" --dllm-algorithm LowConfidence --dllm-algorithm-config "$root/samples/config.yaml" \
  --host 127.0.0.1 --port 30000 --trust-remote-code --max-running-requests 1 > "$out/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf -o /dev/null http://127.0.0.1:30000/health && break; sleep 1; done
curl -sf http://127.0.0.1:30000/get_model_info; echo
time bash "$root/samples/curl/seed-requests.sh" > "$out/seed-requests.txt"
bash "$here/run.sh" openai http://127.0.0.1:30000/v1 64 | tee "$out/openai-client.txt"
# The server's CUDA graphs after those requests: on, their batch sizes, the captures so far.
curl -sf http://127.0.0.1:30000/get_server_info > "$out/server-info.json"
python="$(command -v python3 || echo /opt/torch/.venv/bin/python)"
"$python" -c 'import json, sys; print("cuda_graphs:", json.dumps(json.load(open(sys.argv[1]))["cuda_graphs"]))' "$out/server-info.json"
kill -TERM $server; wait $server || true
