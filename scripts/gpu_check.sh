#!/usr/bin/env bash
# The GPU checks, as one prepared script for a machine with an NVIDIA GPU (a lent device machine):
# the real NVML library against nvidia-smi, gate-vram on real hardware, the GPU snapshot, and the
# tiny models loaded on CUDA by the serving stack. Writes a JUnit file to ${OUT:-.}/gpu-junit.xml.
# On a machine without a GPU every test here is skipped, and the script says so.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-.}"
nvidia-smi --query-gpu=index,name,memory.total,memory.used,memory.free --format=csv || \
    echo "[gpu] nvidia-smi not available: the gpu tests will skip"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
    .venv/bin/python -m pip install -q -e '.[serving,dev]'
fi
HF_HUB_OFFLINE=1 .venv/bin/pytest -m gpu -rs -v -p no:cacheprovider \
    --junitxml="$OUT/gpu-junit.xml" tests/gpu/test_nvml.py tests/vram tests/sources/test_gpusource.py \
    tests/serving/test_gpu.py
