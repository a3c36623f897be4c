"""Helpers to run ``gate-vram`` as a real subprocess with the fake NVML installed in it."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# Installs the fake from argv[1] in the child, then runs the real entry point on the rest.
_CHILD = (
    "import sys, tests.support.fake_pynvml as fake; fake.install_from_json(sys.argv[1]); "
    "from pytest_gate.vram.cli import main; raise SystemExit(main(sys.argv[2:]))"
)
PROCESS_TIMEOUT_SECONDS = 30.0


def child_env() -> dict[str, str]:
    """The environment for child processes: offline, unbuffered."""
    return dict(os.environ, HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")


def as_from_a_terminal() -> None:
    """``preexec_fn``: Ctrl-C (SIGINT) reaches the child as it would from a terminal.

    A shell starts background jobs with SIGINT ignored, and Python keeps an inherited SIG_IGN, so
    without this a test run from a background job could not interrupt its child.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def command(spec: Path, args: tuple[str, ...]) -> list[str]:
    """The command line running gate-vram with the fake described in ``spec``."""
    return [sys.executable, "-c", _CHILD, str(spec), *args]


def read_line(proc: subprocess.Popen[str], timeout_seconds: float = PROCESS_TIMEOUT_SECONDS) -> str:
    """Next stdout line of ``proc``; fails the test if none comes in time."""
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if selector.select(timeout=0.1):
                return proc.stdout.readline()
    raise AssertionError(f"no output from {proc.args!r} within {timeout_seconds}s")


Runner = Callable[..., subprocess.CompletedProcess[str]]
Starter = Callable[..., subprocess.Popen[str]]
