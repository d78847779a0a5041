#!/usr/bin/env bash
# The two requests of SGLang's LLaDA2 documentation, unchanged, against a running `dllm serve`.
#   dotnet run --project src/Dllm.Cli -c Release -- serve          # the demo model, port 30000
#   bash samples/curl/seed-requests.sh [base url, default http://127.0.0.1:30000]
# An --api-key server also needs DLLM_API_KEY=<key> in the environment.
set -euo pipefail
BASE_URL="${1:-${DLLM_URL:-http://127.0.0.1:30000}}"
AUTH=()
if [[ -n "${DLLM_API_KEY:-}" ]]; then
  AUTH=(-H "Authorization: Bearer ${DLLM_API_KEY}")
fi

echo "### 1. batch of two prompts, streamed (server-sent events)"
curl -sS --fail-with-body -N -X POST "${BASE_URL}/generate" "${AUTH[@]}" \
  -H "Content-Type: application/json" \
  -d '{"text": ["<role>SYSTEM</role>detailed thinking off<|role_end|><role>HUMAN</role> Write the number from 1 to 128 <|role_end|><role>ASSISTANT</role>", "<role>SYSTEM</role>detailed thinking off<|role_end|><role>HUMAN</role> Write a brief introduction of the great wall <|role_end|><role>ASSISTANT</role>"], "stream": true, "sampling_params": {"temperature": 0, "max_new_tokens": 1024}}'
echo

echo "### 2. one prompt, not streamed"
curl -sS --fail-with-body -X POST "${BASE_URL}/generate" "${AUTH[@]}" \
  -H "Content-Type: application/json" \
  -d '{"text": "<role>SYSTEM</role>detailed thinking off<|role_end|><role>HUMAN</role> Write a brief introduction of the great wall <|role_end|><role>ASSISTANT</role>", "sampling_params": {"temperature": 0, "max_new_tokens": 1024}}'
echo
