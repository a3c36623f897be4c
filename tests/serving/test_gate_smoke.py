"""The gate's own post-deploy smoke checks pass against a live server with the tiny models."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.serving.live_server import LiveServer

REPO_ROOT = Path(__file__).parents[2]


def test_gate_smoke_checks_say_go(server: LiveServer, tmp_path: Path) -> None:
    """``pytest gate_checks -m smoke --serving-url URL`` exits 0 with verdict GO."""
    report = tmp_path / "gate_report.json"
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "gate_checks",
            "-m",
            "smoke",
            "-p",
            "pytest_gate.plugin",
            "--serving-url",
            server.url,
            "--gate-report",
            str(report),
            "-q",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(report.read_text())
    assert result["verdict"] == "GO"
    assert {check["outcome"] for check in result["checks"]} == {"pass"}
