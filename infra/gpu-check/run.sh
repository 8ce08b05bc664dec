#!/bin/bash
# On the GPU machine (device tool, carry [".gpu"]): bash .gpu/run.sh [gpu_check.py|service_check.py]
# — unpacks what pack.sh made and runs the check (gpu_check.py by default).
# Python's CUDA LibTorch (the machine's PyTorch) is put on the library path for TorchSharp.
set -u
export OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
B=$(cd "$(dirname "$0")" && pwd)
W=/tmp/gpuw; mkdir -p $W && cd $W
mkdir -p dotnet && tar xJf $B/dotnet.tar.xz -C dotnet && tar xJf $B/bundle.tar.xz
nvidia-smi -L; python3 -c "import torch,sys;print(torch.__version__, torch.version.cuda, torch.cuda.is_available())"
TL=$(python3 -c "import torch,os;print(os.path.join(os.path.dirname(torch.__file__),'lib'))")
ls $TL | head -30
export LD_LIBRARY_PATH=$TL:${LD_LIBRARY_PATH:-}
export DOTNET_ROOT=$W/dotnet DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
ldd -r $W/app/libLibTorchSharp.so > $OUT/ldd.txt 2>&1; grep -c "undefined symbol" $OUT/ldd.txt; grep "undefined symbol" $OUT/ldd.txt | head -5 | c++filt | cut -c1-300; grep "=>" $OUT/ldd.txt | grep -v "^\s*lib\(c\|m\|pthread\|dl\|rt\)\." | head -12
python3 -u $W/${1:-gpu_check.py}
