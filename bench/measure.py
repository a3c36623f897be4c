"""Run a child process and measure it: wall time from start to exit, peak memory, exit code.

The child is started by ``bench/launch.py`` (a lean interpreter that forks, execs and ``wait4``s
it), which times it and reads its own ``ru_maxrss`` - the resource usage of exactly that child.
"""

from __future__ import annotations

import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

KIB = 1024
LAUNCHER = Path(__file__).with_name("launch.py")


class ChildTimeout(RuntimeError):
    """A measured child ran past its time limit (it has been killed)."""


@dataclass(frozen=True)
class Run:
    """One measured child process."""

    wall_seconds: float
    peak_rss_bytes: int
    exit_code: int
    output: str
    cpu_seconds: float = 0.0
    """User plus system CPU time of the process and its waited-for children."""


def run_child(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout_seconds: float = 120.0,
) -> Run:
    """Run ``command`` through the launcher; its wall time, peak RSS, exit code and output."""
    with tempfile.TemporaryDirectory(prefix="bench-run-") as scratch:
        result_file = Path(scratch) / "result"
        sink_path = Path(scratch) / "output"
        with sink_path.open("wb") as sink:
            proc = subprocess.Popen(
                [sys.executable, "-I", "-S", str(LAUNCHER), str(result_file), *command],
                env=dict(env) if env is not None else None,
                cwd=cwd,
                stdout=sink,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            try:
                proc.wait(timeout=timeout_seconds)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                output = sink_path.read_text(errors="replace")
                raise ChildTimeout(
                    f"{' '.join(command)} ran past {timeout_seconds:g} s:\n{output[-2000:]}"
                ) from None
        output = sink_path.read_text(errors="replace")
        if not result_file.is_file():
            raise RuntimeError(f"the launcher failed for {' '.join(command)}:\n{output[-2000:]}")
        wall, rss_kib, code, cpu = result_file.read_text().split()
    return Run(float(wall), int(rss_kib) * KIB, int(code), output, float(cpu))


def median(values: Sequence[float]) -> float:
    """The median (the mean of the two middle values for an even count)."""
    return statistics.median(values)


def median_wall_seconds(runs: Sequence[Run]) -> float:
    """The median wall time of some runs of one variant."""
    return median([run.wall_seconds for run in runs])


def median_cpu_seconds(runs: Sequence[Run]) -> float:
    """The median CPU time (user + system) of some runs of one variant."""
    return median([run.cpu_seconds for run in runs])


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) by nearest rank on the sorted values."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))
    return ordered[rank]
