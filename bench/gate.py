"""How the benchmarks start pytest and the gate: the command line and the environment.

Two ways to load plugins are measured. ``autoload=False`` is the recommended CI invocation
(``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 pytest -p pytest_gate.plugin ...``): only the gate plugin
loads. ``autoload=True`` is a plain ``pytest ...``: every installed ``pytest11`` plugin loads too
(here json-report, metadata and timeout, shipped with the gate, and the dev extra's schemathesis,
hypothesis, anyio and xdist).
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.checks.conftest import GATE_ENV_VARS

ROOT = Path(__file__).resolve().parents[1]
GATE_DIR = ROOT / "gate_checks"
PYTHON = sys.executable
PYCACHE = ROOT / ".cache" / "bench-pycache"
"""Bytecode of every measured process (git-ignored), so the project's modules are compiled once,
as in any installed package, even where the environment sets ``PYTHONDONTWRITEBYTECODE``."""
LOOPBACK_PORT = re.compile(r"127\.0\.0\.1:\d+")
SHOWN_ENV = ("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTHONDONTWRITEBYTECODE")
NOT_INHERITED = (
    "PYTEST_DISABLE_PLUGIN_AUTOLOAD",
    "PYTEST_PLUGINS",
    "PYTEST_ADDOPTS",
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONPYCACHEPREFIX",
)


def child_env(**extra: str) -> dict[str, str]:
    """This environment without any inherited gate setting or pytest plugin choice."""
    dropped = {*GATE_ENV_VARS, *NOT_INHERITED}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    env["HF_HUB_OFFLINE"] = "1"
    env.update(extra)
    return env


@dataclass(frozen=True)
class Pytest:
    """A pytest invocation style: with only the gate plugin, or with every installed plugin."""

    autoload: bool

    @property
    def label(self) -> str:
        """How the table names this style."""
        return (
            "autoload (plain `pytest`)"
            if self.autoload
            else "`-p pytest_gate.plugin`, autoload off"
        )

    def env(self) -> dict[str, str]:
        """The child environment of this style."""
        return child_env() if self.autoload else child_env(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")

    def command(self, args: Sequence[str]) -> list[str]:
        """``python -m pytest`` with this style's plugin options, then ``args``."""
        plugins = [] if self.autoload else ["-p", "pytest_gate.plugin"]
        return [PYTHON, "-m", "pytest", *plugins, "-p", "no:cacheprovider", "-q", *args]


ONLY_GATE = Pytest(autoload=False)
AUTOLOAD = Pytest(autoload=True)
STYLES = (ONLY_GATE, AUTOLOAD)


def gate_args(
    config: Path,
    *,
    prometheus_url: str | None = None,
    metrics_url: str | None = None,
    replay: Path | None = None,
    record: Path | None = None,
    report: Path | None = None,
    deadline_seconds: float | None = None,
    at: float | None = None,
    gate_dir: Path = GATE_DIR,
) -> list[str]:
    """The gate's arguments for one run (``at`` defaults to none: now, for a scrape)."""
    args = [str(gate_dir), "--gate-config", str(config), "--gpu-source", "prometheus"]
    if at is not None:
        args += ["--gate-time", str(at)]
    for flag, value in (
        ("--prometheus-url", prometheus_url),
        ("--metrics-url", metrics_url),
        ("--gate-replay", replay),
        ("--gate-record", record),
        ("--gate-report", report),
        ("--gate-deadline", deadline_seconds),
    ):
        if value is not None:
            args += [flag, str(value)]
    return args


def shown(
    command: Sequence[str], env: Mapping[str, str] | None = None, work: Path | None = None
) -> str:
    """A command as it reads in RESULTS.md: repo-relative, scratch paths as ``$WORK``."""
    words = ["python" if word == PYTHON else word for word in command]
    text = shlex.join(words).replace(str(ROOT) + "/", "")
    if work is not None:
        text = text.replace(str(work), "$WORK")
    text = LOOPBACK_PORT.sub("127.0.0.1:$PORT", text)
    shown_env = [f"{name}=1" for name in SHOWN_ENV if env is not None and env.get(name)]
    return " ".join([*shown_env, text])
