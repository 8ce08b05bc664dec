#!/bin/bash
# Packs what a GPU machine needs to run the engine checks (infra/gpu-check/README.md): the .NET
# runtime, the built CLI without its CPU LibTorch, the test models, and the check script, into
# .gpu/ (git-ignored via .git/info/exclude). Run from the repository root after `./platform test`
# or `dotnet build Platform.sln` has built artifacts/bin/Platform.Cli.
set -euo pipefail
root=$(pwd)
app=$root/artifacts/bin/Platform.Cli/debug
[ -f "$app/platform.dll" ] || { echo "build first: $app/platform.dll is missing" >&2; exit 1; }
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
runtime=$(ls -d "$dotnet_root"/shared/Microsoft.NETCore.App/10.* | sort -V | tail -1)
aspnet=$(ls -d "$dotnet_root"/shared/Microsoft.AspNetCore.App/10.* | sort -V | tail -1)
mkdir -p .git/info && grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
rm -rf .gpu && mkdir -p .gpu
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/app" "$stage/models"
# Managed assemblies only; LibTorchSharp is the bridge, LibTorch itself comes from the GPU machine.
(cd "$app" && cp -r $(ls | grep -v '^runtimes$') "$stage/app/")
cp "$app/runtimes/linux-x64/native/libLibTorchSharp.so" "$stage/app/"
rm -f "$stage/app/platform.deps.json" # probe the app folder instead of the NuGet layout
service=$root/artifacts/bin/Platform.Services.Inference/debug
if [ -f "$service/Platform.Services.Inference.dll" ]; then
  mkdir -p "$stage/service"
  (cd "$service" && cp -r $(ls | grep -v '^runtimes$\|^cpu$') "$stage/service/")
  cp "$stage/app/libLibTorchSharp.so" "$stage/service/"
  rm -f "$stage/service/Platform.Services.Inference.deps.json"
fi
testdata=$root/../shared/testdata/models
cp -r "$testdata/stories260K-hf" "$testdata/llama2-tokenizer" "$stage/models/"
cp "$testdata/stories260K/reference.json" "$stage/models/"
cp infra/gpu-check/gpu_check.py infra/gpu-check/service_check.py "$stage/"
tar -C "$stage" -cJf .gpu/bundle.tar.xz $(cd "$stage" && ls)
tar -C "$dotnet_root" -cJf .gpu/dotnet.tar.xz dotnet host "${runtime#"$dotnet_root"/}" "${aspnet#"$dotnet_root"/}"
cp infra/gpu-check/run.sh .gpu/
du -sh .gpu/*
