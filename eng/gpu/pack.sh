#!/usr/bin/env bash
# Builds the CUDA bundle in .gpu/ (ignored by git, at most 64 MiB):
#   .gpu/dotnet.tar.xz  the .NET runtime (host + Microsoft.NETCore.App + Microsoft.AspNetCore.App)
#   .gpu/apps.tar.xz    the three programs below, packed together (they share most DLLs: about 4 MB against 22 MB
#                       unpacked, so the bundle and the working tree stay under the device's 64 MiB); run.sh unpacks
#                       it on first use:
#   .gpu/app/           the framework-dependent dllm app, built with -p:DllmTorchBackend=external (and without the
#                       embedded demo model, -p:DllmEmbedDemoModel=false, to stay under the carry limit: pass --model-path):
#                       managed DLLs + libLibTorchSharp.so, no libtorch (the host's PyTorch provides it)
#   .gpu/bench/         the benchmark program, built the same way (when bench/ exists)
#   .gpu/openai-client/ the OpenAI .NET SDK sample, to check a running server's /v1 routes
#   .gpu/native/        kept as is: libdllm_cuda.so, built on the CUDA host (src/Dllm.Cuda.Native/build.sh .gpu/native)
# Run it on the CUDA host with eng/gpu/run.sh.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/.gpu"
mkdir -p "$out"

dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
if [[ ! -s "$out/dotnet.tar.xz" || "$dotnet_root/shared" -nt "$out/dotnet.tar.xz" ]]; then
  echo "pack: .NET runtime from $dotnet_root -> .gpu/dotnet.tar.xz"
  tar -C "$dotnet_root" -cf - dotnet host shared | xz -9 -T2 > "$out/dotnet.tar.xz.tmp"
  mv "$out/dotnet.tar.xz.tmp" "$out/dotnet.tar.xz"
fi

publish() { # project output-folder
  echo "pack: publishing $1 -> .gpu/$2 (external libtorch)"
  rm -rf "$out/$2"
  dotnet publish "$root/$1" -c Release -r linux-x64 --self-contained false \
    -p:DllmTorchBackend=external -p:DllmEmbedDemoModel=false -o "$out/$2" -nologo -v:q
  if ls "$out/$2"/libtorch_cpu.so >/dev/null 2>&1; then
    echo "pack: ERROR: .gpu/$2 contains libtorch; the bundle must use the host's" >&2; exit 1
  fi
}
publish src/Dllm.Cli app
[[ -d "$root/bench/Dllm.Bench" ]] && publish bench/Dllm.Bench bench
publish samples/OpenAIClient openai-client
programs=(app openai-client); [[ -d "$out/bench" ]] && programs+=(bench)
tar -C "$out" -cf - "${programs[@]}" | xz -6 -T2 > "$out/apps.tar.xz"
rm -rf "${programs[@]/#/$out/}"
cp "$root/eng/gpu/run.sh" "$out/run.sh"
du -sh "$out" | sed 's/^/pack: bundle size /'
