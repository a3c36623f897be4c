"""A tiny gate suite run by the real pytest-gate plugin in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.ops.paths import ROOT

GATE_CONFIG = ROOT / "gate_checks" / "gate.toml"
SUITE = '''
import pytest

@pytest.mark.warning
def test_cache_hit_rate():
    """Cache hit rate."""
    assert {warning_ok}, "fast hit rate 50% < 60%"

@pytest.mark.critical
def test_api_5xx_rate():
    """API 5xx rate."""
    assert {critical_ok}, "5xx 2.0% > 0.5%"
'''


def write_suite(workdir: Path, *, warning_ok: bool, critical_ok: bool) -> None:
    """``workdir/gate_checks`` with one warning and one critical check."""
    suite = workdir / "gate_checks"
    suite.mkdir()
    (suite / "test_suite.py").write_text(
        SUITE.format(warning_ok=warning_ok, critical_ok=critical_ok))


def gate_env() -> dict[str, str]:
    """The environment without GATE_* settings, loading only the gate plugin."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GATE_") and k != "GITHUB_STEP_SUMMARY"}
    env.update(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTEST_PLUGINS="pytest_gate.plugin")
    return env


def gate_command(*options: str) -> list[str]:
    """``python -m pytest gate_checks`` with the repository's gate config and ``options``."""
    return [sys.executable, "-m", "pytest", "gate_checks", "-p", "no:cacheprovider",
            "--gate-config", str(GATE_CONFIG), *options]


def run_gate(workdir: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """Run the suite in ``workdir`` to completion."""
    return subprocess.run(gate_command(*options), cwd=workdir, env=gate_env(),
                          capture_output=True, text=True, check=False, timeout=120)
