"""On a machine with NVIDIA GPUs: ``gate-vram --json`` agrees with ``nvidia-smi``."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from typing import Any

import pytest

from pytest_gate.gpu.nvml import nvml_available
from tests.vram.process import REPO_ROOT, child_env

MIB = 1024**2
DRIFT_MIB = 16  # other processes may allocate between the two readings
QUERY = "index,uuid,name,memory.total,memory.used,memory.free"

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(
        shutil.which("nvidia-smi") is None or not nvml_available(),
        reason="needs an NVIDIA GPU, its driver and nvidia-smi",
    ),
]


def _nvidia_smi() -> list[dict[str, str]]:
    out = subprocess.run(
        ["nvidia-smi", f"--query-gpu={QUERY}", "--format=csv,noheader,nounits"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    rows = csv.reader(line for line in out.splitlines() if line.strip())
    return [dict(zip(QUERY.split(","), (c.strip() for c in row), strict=True)) for row in rows]


def _gate_vram_json() -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "pytest_gate.vram", "--json"],
        cwd=REPO_ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode in (0, 1, 2), result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_json_matches_nvidia_smi_per_gpu() -> None:
    """Index, name, total, used and free per GPU match nvidia-smi (MiB, small drift allowed)."""
    document = _gate_vram_json()
    assert document["gpus"]
    whole = {g["uuid"]: g for g in document["gpus"] if g["mig_index"] is None}
    for row in _nvidia_smi():
        if row["uuid"] not in whole:  # MIG enabled: gate-vram lists its MIG devices instead
            assert any(g["index"] == int(row["index"]) for g in document["gpus"]), row
            continue
        gpu = whole[row["uuid"]]
        assert (gpu["index"], gpu["name"]) == (int(row["index"]), row["name"])
        assert abs(gpu["total_bytes"] / MIB - int(row["memory.total"])) <= 1
        assert abs(gpu["free_bytes"] / MIB - int(row["memory.free"])) <= DRIFT_MIB
        assert abs(gpu["used_bytes"] / MIB - int(row["memory.used"])) <= DRIFT_MIB
