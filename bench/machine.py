"""A description of the machine the numbers came from (CPU, cores, memory, versions, load)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from tests.support.prometheus_server import PROMETHEUS_BIN

PACKAGES = ("pytest", "requests", "fastapi", "uvicorn", "starlette", "pydantic", "torch")


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (or the platform's processor string)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib() -> float:
    """Total memory in GiB from /proc/meminfo (0 when unknown)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return 0.0


def prometheus_version() -> str:
    """``prometheus --version``'s first line."""
    done = subprocess.run(
        [PROMETHEUS_BIN, "--version"], capture_output=True, text=True, check=False
    )
    return (done.stdout or done.stderr).splitlines()[0].strip()


def load_average() -> str:
    """The 1/5/15-minute load averages."""
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def versions() -> str:
    """Installed versions of the packages the numbers depend on."""
    found = []
    for name in PACKAGES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return ", ".join(found)


def describe() -> list[str]:
    """Markdown bullet lines describing this machine."""
    return [
        f"- CPU: {cpu_model()}, {os.cpu_count()} cores; memory {memory_gib():.1f} GiB",
        f"- OS: {platform.platform()}",
        f"- Python {platform.python_version()} ({sys.executable.replace(str(Path.cwd()) + '/', '')})",
        f"- {prometheus_version()}",
        f"- {versions()}",
    ]
