"""``gate-vram`` as a real process: exit codes scripts rely on, Ctrl-C, the exporter's lifecycle."""

from __future__ import annotations

import signal
import subprocess
import sys

import pynvml
import pytest
import requests

from pytest_gate.gpu.nvml import nvml_available
from tests.support.fake_pynvml import FakeDevice, FakeNvml, gib
from tests.vram.process import REPO_ROOT, Runner, Starter, child_env, read_line


def one_gpu(free_gib: float) -> FakeNvml:
    return FakeNvml([FakeDevice.whole(gib(100), gib(free_gib))])


@pytest.mark.parametrize(
    ("free_gib", "code"),
    [(26.8, 0), (22, 1), (12, 2)],
    ids=["pass-0", "warn-1", "fail-2"],
)
def test_exit_code_follows_the_worst_headroom(
    run_gate_vram: Runner, free_gib: float, code: int
) -> None:
    """PASS exits 0, WARN 1, FAIL 2."""
    assert run_gate_vram(one_gpu(free_gib), "--once").returncode == code


def test_one_low_gpu_of_four_exits_2(run_gate_vram: Runner) -> None:
    """The worst GPU decides the exit code, not the first."""
    fake = FakeNvml([FakeDevice.whole(gib(80), gib(f)) for f in (40, 38, 8, 41)])
    assert run_gate_vram(fake, "--once").returncode == 2


@pytest.mark.parametrize(
    ("code", "cause"),
    [
        (pynvml.NVML_ERROR_LIBRARY_NOT_FOUND, "libnvidia-ml.so.1) was not found"),
        (pynvml.NVML_ERROR_DRIVER_NOT_LOADED, "driver is not loaded"),
        (pynvml.NVML_ERROR_LIB_RM_VERSION_MISMATCH, "reload the driver"),
        (pynvml.NVML_ERROR_NO_PERMISSION, "denied access"),
    ],
    ids=["library", "driver", "mismatch", "permission"],
)
def test_nvml_unavailable_exits_3_with_cause_and_no_traceback(
    run_gate_vram: Runner, code: int, cause: str
) -> None:
    """No NVML: exit 3, one message with cause and hint, no traceback."""
    result = run_gate_vram(FakeNvml([], init_error=code), "--once")
    assert result.returncode == 3
    assert cause in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_error_exits_64(run_gate_vram: Runner) -> None:
    """A bad option exits 64 with argparse's usage line, distinct from FAIL."""
    result = run_gate_vram(one_gpu(50), "--threshold", "20")
    assert result.returncode == 64
    assert "usage: gate-vram" in result.stderr


@pytest.mark.skipif(nvml_available(), reason="this machine has a working NVIDIA driver")
def test_module_entry_point_without_a_gpu_exits_3() -> None:
    """python -m pytest_gate.vram with the real library and no driver: exit 3, hint."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest_gate.vram", "--once"],
        cwd=REPO_ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 3
    assert "hint: install the NVIDIA driver" in result.stderr


def test_ctrl_c_ends_interval_cleanly_with_the_verdict_so_far(start_gate_vram: Starter) -> None:
    """SIGINT during --interval: no traceback, exit code of the readings taken (WARN 1)."""
    proc = start_gate_vram(one_gpu(22), "--interval", "0.2", "--json")
    assert '"verdict": "WARN"' in read_line(proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert "interrupted after" in err
    assert "Traceback" not in err


def test_serve_answers_scrapes_and_stops_on_ctrl_c(start_gate_vram: Starter) -> None:
    """--serve on port 0 prints its URL, serves gauges over HTTP and exits 0 on SIGINT."""
    proc = start_gate_vram(one_gpu(40), "--serve", "127.0.0.1:0")
    url = read_line(proc).split(" on ")[1].split()[0]
    body = requests.get(url, timeout=10).text
    assert 'nvidia_gpu_memory_free_bytes{gpu="0"' in body
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert "Traceback" not in err


def test_serve_on_a_busy_port_exits_64_naming_the_address(
    run_gate_vram: Runner, start_gate_vram: Starter
) -> None:
    """A port already taken is reported with the address to change."""
    first = start_gate_vram(one_gpu(40), "--serve", "127.0.0.1:0")
    port = read_line(first).split(":")[-1].split("/")[0]
    result = run_gate_vram(one_gpu(40), "--serve", f"127.0.0.1:{port}")
    assert result.returncode == 64
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
