#!/usr/bin/env bash
# Install everything (scripts/install.sh), then lint, type-check and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
echo "[test] ruff"
.venv/bin/ruff check .
echo "[test] layers"
.venv/bin/python scripts/layers.py
echo "[test] mypy"
.venv/bin/mypy pytest_gate serving gate_checks
echo "[test] pytest"
HF_HUB_OFFLINE=1 .venv/bin/pytest -q "$@"
