#!/usr/bin/env bash
# Runs a bundled app on the CUDA host against the host's PyTorch libtorch (see docs/gpu.md).
#   eng/gpu/run.sh [app|bench|openai] ARGS...      e.g.  eng/gpu/run.sh app doctor
# Environment: DLLM_LIBTORCH_DIR (default: the host's PyTorch torch/lib), DLLM_DOTNET_DIR (default /tmp/dn),
#              DLLM_CUDA_NATIVE (default: .gpu/native/libdllm_cuda.so when present).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bundle="$root/.gpu"
[[ -f "$bundle/dotnet.tar.xz" ]] || bundle="$(cd "$(dirname "$0")" && pwd)"   # run.sh copied into .gpu/
which="${1:-app}"; shift || true
# pack.sh ships the programs as one archive; unpack it the first time.
[[ -d "$bundle/app" ]] || tar -C "$bundle" -xJf "$bundle/apps.tar.xz"
case "$which" in
  app) dll="$bundle/app/dllm.dll" ;;
  bench) dll="$bundle/bench/Dllm.Bench.dll" ;;
  openai) dll="$bundle/openai-client/Dllm.Samples.OpenAIClient.dll" ;;
  *) echo "usage: $0 [app|bench|openai] ARGS..." >&2; exit 2 ;;
esac
dn="${DLLM_DOTNET_DIR:-/tmp/dn}"
if [[ ! -x "$dn/dotnet" ]]; then
  mkdir -p "$dn"
  tar -C "$dn" -xJf "$bundle/dotnet.tar.xz"
fi
torch_lib="${DLLM_LIBTORCH_DIR:-/opt/torch/.venv/lib/python3.12/site-packages/torch/lib}"
[[ -f "$torch_lib/libtorch_cpu.so" ]] || { echo "run: no libtorch at $torch_lib (set DLLM_LIBTORCH_DIR)" >&2; exit 2; }
export DLLM_LIBTORCH_DIR="$torch_lib"
export LD_LIBRARY_PATH="$torch_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export DOTNET_ROOT="$dn"
# The optional native piece (CUDA graphs, grouped GEMM), built by src/Dllm.Cuda.Native/build.sh into .gpu/native.
if [[ -z "${DLLM_CUDA_NATIVE:-}" && -f "$bundle/native/libdllm_cuda.so" ]]; then export DLLM_CUDA_NATIVE="$bundle/native/libdllm_cuda.so"; fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
exec "$dn/dotnet" "$dll" "$@"
