"""The README's canary, waiver and dry-run examples run as written, against the golden Prometheus.

Each example is read from the README; only the Prometheus URL and the report path are replaced,
and the scenario's config and the golden instant T are added, so the examples cannot rot.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.checks.canary_data import CANARY_BY_NAME
from tests.checks.conftest import DEFAULT_CONFIG, ROOT, RUN_TIMEOUT_SECONDS, gate_env
from tests.checks.deployment import T
from tests.support.prometheus_server import PrometheusServer
from tests.test_readme_example import readme_block

pytestmark = pytest.mark.prometheus

README_URL = "http://prometheus:9090"
API_ERRORS = "golden-api-errors"  # the golden scenario whose only breach is a 2% 5xx rate


def config_for(directory: Path, namespace: str, appended: str = "") -> Path:
    path = directory / "gate.toml"
    text = DEFAULT_CONFIG.read_text().replace(
        "label_selector = {}", f'label_selector = {{ namespace = "{namespace}" }}', 1
    )
    path.write_text(text + appended)
    return path


def run_example(
    command: str, prometheus: PrometheusServer, directory: Path, config: Path, *extra: str
) -> tuple[int, dict[str, object], str]:
    """Run a README ``pytest ...`` line with the test's Prometheus, config and report."""
    words = shlex.split(command)
    assert words[0] == "pytest", command
    words = [prometheus.url if w == README_URL else w for w in words[1:]]
    report = directory / "report.json"
    if "--gate-report" in words:
        words[words.index("--gate-report") + 1] = str(report)
    else:
        words += ["--gate-report", str(report)]
    words += ["--gate-config", str(config), "--gate-time", str(T), *extra]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *words],
        cwd=ROOT,
        env=gate_env(),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )
    return done.returncode, json.loads(report.read_text()), done.stdout + done.stderr


def test_readme_canary_example_catches_the_worse_canary(
    golden_prometheus: PrometheusServer, tmp_path: Path
) -> None:
    """The canary command, on the clearly worse canary, is NO-GO and prints the comparison."""
    config = config_for(tmp_path, CANARY_BY_NAME["canary-worse"].namespace)
    code, report, output = run_example(readme_block("canary"), golden_prometheus, tmp_path, config)
    assert (code, report["verdict"]) == (2, "NO-GO"), output
    assert "canary 12/4000 5xx vs baseline 3/8000, p=0.00028 < 0.01" in output


def test_readme_dry_run_example_exits_0_on_a_no_go(
    golden_prometheus: PrometheusServer, tmp_path: Path
) -> None:
    """The dry-run command on a deployment with a 2% 5xx rate exits 0 and reports NO-GO."""
    config = config_for(tmp_path, API_ERRORS)
    code, report, output = run_example(
        readme_block("dry-run"), golden_prometheus, tmp_path, config, "--gpu-source", "prometheus"
    )
    assert code == 0, output
    assert (report["verdict"], report["exit_code"], report["dry_run"]) == ("NO-GO", 2, True)
    assert "the gate would have said NO-GO (exit 2); exiting 0" in output


def test_readme_waiver_example_turns_the_5xx_no_go_into_a_warning(
    golden_prometheus: PrometheusServer, tmp_path: Path
) -> None:
    """The waiver table appended to gate.toml lets the known 5xx failure through as WARNING."""
    config = config_for(tmp_path, API_ERRORS, "\n" + readme_block("waiver"))
    command = f"pytest gate_checks --prometheus-url {README_URL} --gpu-source prometheus"
    code, report, output = run_example(command, golden_prometheus, tmp_path, config)
    assert (code, report["verdict"], report["reason"]) == (1, "WARNING", "waived_critical_fail")
    waivers = report["waivers"]
    assert isinstance(waivers, list)
    assert [w["status"] for w in waivers] == ["applied"]
    assert "waived until 2025-07-01 by alice@example.com" in output
