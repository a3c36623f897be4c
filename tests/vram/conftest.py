"""Fixtures running ``gate-vram`` as a real subprocess with the fake NVML installed in it."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fake_pynvml import FakeNvml
from tests.vram.process import (
    PROCESS_TIMEOUT_SECONDS,
    REPO_ROOT,
    Runner,
    Starter,
    as_from_a_terminal,
    child_env,
    command,
)


@pytest.fixture
def run_gate_vram(tmp_path: Path) -> Runner:
    """``run_gate_vram(fake, *args)``: run gate-vram to completion in a subprocess."""

    def run(fake: FakeNvml, *args: str) -> subprocess.CompletedProcess[str]:
        spec = tmp_path / "fake_nvml.json"
        spec.write_text(fake.to_json())
        return subprocess.run(
            command(spec, args),
            cwd=REPO_ROOT,
            env=child_env(),
            capture_output=True,
            text=True,
            timeout=PROCESS_TIMEOUT_SECONDS,
            check=False,
        )

    return run


@pytest.fixture
def start_gate_vram(tmp_path: Path) -> Iterator[Starter]:
    """``start_gate_vram(fake, *args)``: a running gate-vram subprocess (killed at teardown)."""
    procs: list[subprocess.Popen[str]] = []

    def start(fake: FakeNvml, *args: str) -> subprocess.Popen[str]:
        spec = tmp_path / f"fake_nvml_{len(procs)}.json"
        spec.write_text(fake.to_json())
        proc = subprocess.Popen(
            command(spec, args),
            cwd=REPO_ROOT,
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=as_from_a_terminal,
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
