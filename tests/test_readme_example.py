"""The README's custom-check example runs as written, against a real Prometheus."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.prometheus_server import OpenMetrics, PrometheusServer

ROOT = Path(__file__).resolve().parent.parent
T = float(int(time.time()) // 60 * 60)

pytestmark = pytest.mark.prometheus


def readme_block(name: str) -> str:
    """The fenced code block after ``<!-- example: name -->`` in the README."""
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- example: {name} -->\s*```\w*\n(.*?)```", text, re.S)
    assert match, f"README has no example block {name!r}"
    return match.group(1)


def refunds(errors_per_minute: float, namespace: str, om: OpenMetrics) -> None:
    """Ten minutes of refund traffic: 100 requests a minute, some of them errors."""
    for minute in range(11):
        ts = T - 600 + minute * 60 - 7
        labels = {"namespace": namespace}
        om.sample("refund_requests_total", labels, 100.0 * minute, ts, kind="counter")
        om.sample("refund_errors_total", labels, errors_per_minute * minute, ts, kind="counter")


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    om = OpenMetrics()
    refunds(0.5, "good", om)
    refunds(5.0, "bad", om)
    with PrometheusServer.start(tmp_path_factory.mktemp("readme-prom"), openmetrics=om) as prom:
        yield prom


def gate_dir_with_example(tmp_path: Path, namespace: str) -> Path:
    """gate_checks/ with the README's check and config; only that check enabled."""
    target = tmp_path / "gate_checks"
    shutil.copytree(ROOT / "gate_checks", target, ignore=shutil.ignore_patterns("__pycache__"))
    code = readme_block("custom-check")
    (target / "test_refunds.py").write_text(code)
    config = (target / "gate.toml").read_text()
    config = config.replace(
        "label_selector = {}", f'label_selector = {{ namespace = "{namespace}" }}'
    )
    (target / "gate.toml").write_text(config + "\n" + readme_block("custom-config"))
    return target


@pytest.mark.parametrize(("namespace", "verdict"), [("good", "GO"), ("bad", "WARNING")])
def test_readme_custom_check_decides(
    prometheus: PrometheusServer, tmp_path: Path, namespace: str, verdict: str
) -> None:
    """0.5% refund errors pass the 1% limit; 5% is a WARNING naming the value."""
    gate_dir = gate_dir_with_example(tmp_path, namespace)
    env = {
        **os.environ,
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "PYTEST_PLUGINS": "pytest_gate.plugin",
    }
    report = tmp_path / "r.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(gate_dir / "test_refunds.py"),
            "-p",
            "no:cacheprovider",
            "--prometheus-url",
            prometheus.url,
            "--gate-time",
            str(T),
            "--gate-report",
            str(report),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    data = json.loads(report.read_text())
    assert data["verdict"] == verdict, done.stdout
    check = data["checks"][0]
    assert check["title"] == "Refund error rate"
    expected = 0.005 if namespace == "good" else 0.05
    assert check["value"] == pytest.approx(expected)
