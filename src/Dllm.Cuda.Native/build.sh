#!/usr/bin/env bash
# Builds libdllm_cuda.so against the libtorch that TorchSharp loads (a PyTorch install's torch/), on the CUDA host.
#   src/Dllm.Cuda.Native/build.sh OUT_DIR
# Environment: DLLM_LIBTORCH_DIR (torch/lib; default: the host's PyTorch), CXX (default g++), DLLM_CUDA_ARCH
# (nvcc -arch, default native: the GPU of the build host), DLLM_NVCC_FLAGS (more nvcc flags, e.g. a kernel's knob:
# -DDLLM_MMA_MIN_BLOCKS=2 builds the before of a tuning).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: build.sh OUT_DIR}"
torch_lib="${DLLM_LIBTORCH_DIR:-/opt/torch/.venv/lib/python3.12/site-packages/torch/lib}"
torch_root="$(cd "$torch_lib/.." && pwd)"
[[ -d "$torch_root/include/ATen" ]] || { echo "build: no libtorch headers under $torch_root/include" >&2; exit 2; }
cuda_include=""
for candidate in "${CUDA_HOME:-/usr/local/cuda}/include" "$(dirname "$(command -v nvcc 2>/dev/null || echo /nonexistent/bin/nvcc)")/../include" \
                 "$torch_root/../nvidia/cu13/include" "$torch_root/../nvidia/cuda_runtime/include"; do
  if [[ -f "$candidate/cuda_runtime_api.h" ]]; then cuda_include="$candidate"; break; fi
done
[[ -n "$cuda_include" ]] || { echo "build: cuda_runtime_api.h not found (set CUDA_HOME)" >&2; exit 2; }
abi=1
python="$torch_root/../../../../bin/python"
if [[ -x "$python" ]]; then abi="$("$python" -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))' 2>/dev/null || echo 1)"; fi
mkdir -p "$out"
echo "build: libtorch $torch_root, CUDA headers $cuda_include, cxx11 abi $abi"
start=$(date +%s)
nvcc="$(command -v nvcc || echo "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc")"
arch="${DLLM_CUDA_ARCH:-native}"
kernels=(grouped_gemv grouped_mma moe_router moe_align rms_norm qk_rope_store greedy_propose moe_combine widen paged_attention)
objects=()
for kernel in "${kernels[@]}"; do
  # shellcheck disable=SC2086  # the flags are words
  "$nvcc" -O3 -std=c++17 -Xcompiler -fPIC -arch="$arch" ${DLLM_NVCC_FLAGS:-} -c "$here/$kernel.cu" -o "$out/$kernel.o"
  objects+=("$out/$kernel.o")
done
"${CXX:-g++}" -std=c++17 -O2 -fPIC -shared -D_GLIBCXX_USE_CXX11_ABI="$abi" \
  -isystem "$torch_root/include" -isystem "$torch_root/include/torch/csrc/api/include" -isystem "$cuda_include" \
  "$here/dllm_cuda.cpp" "${objects[@]}" -o "$out/libdllm_cuda.so" \
  -Wl,--no-as-needed -L"$torch_lib" -lc10 -lc10_cuda -ltorch_cpu -ltorch_cuda
echo "build: $out/libdllm_cuda.so in $(( $(date +%s) - start )) s"
