"""Child processes of the quick start: started in their own process group, always stopped."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import requests

STOP_GRACE_SECONDS = 10.0


@dataclass
class Children:
    """Every process the quick start started, so each one is stopped on the way out."""

    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(
        self, argv: Sequence[str], log: Path, env: Mapping[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        """Start ``argv`` in a new session with stdout/stderr to ``log``."""
        with log.open("ab") as handle:
            proc = subprocess.Popen(
                list(argv),
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=dict(env) if env is not None else None,
                start_new_session=True,
            )
        self.started.append(proc)
        return proc

    def stop_all(self) -> None:
        """SIGTERM every process group (graceful), then SIGKILL what is left."""
        for proc in reversed(self.started):
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for proc in reversed(self.started):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()
        self.started.clear()


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def wait_until(
    ready: Callable[[], bool],
    *,
    what: str,
    timeout_seconds: float,
    proc: subprocess.Popen[bytes] | None,
    log: Path | None,
    say: Callable[[str], None],
) -> None:
    """Poll ``ready`` until it is true; say something every few seconds; fail with the log tail."""
    start = time.monotonic()
    last_said = start
    while True:
        if ready():
            return
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log else ""
            raise RuntimeError(f"{what}: the process exited with {proc.returncode}\n{tail}")
        now = time.monotonic()
        if now - start > timeout_seconds:
            tail = log.read_text(errors="replace")[-3000:] if log else ""
            raise RuntimeError(f"{what}: not ready after {timeout_seconds:.0f} s\n{tail}")
        if now - last_said >= 5:
            say(f"  still waiting for {what} ({now - start:.0f} s)")
            last_said = now
        time.sleep(0.2)


def http_ok(url: str) -> bool:
    """True when ``url`` answers 200."""
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False
