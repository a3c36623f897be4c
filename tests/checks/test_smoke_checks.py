"""The smoke checks end to end: ``pytest gate_checks -m smoke --serving-url URL`` as a subprocess.

They run only with ``-m smoke``; against a good deploy the gate says GO, against a bad one it names
what is wrong, and against no service at all it is NO-GO.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.checks.conftest import GATE_DIR, ROOT, RUN_TIMEOUT_SECONDS, GateRun, gate_env, run_gate
from tests.checks.serving_stub import serving_stub
from tests.support.prometheus_server import free_port

SMOKE_CHECKS = {
    "test_serving_health",
    "test_models_loaded",
    "test_brief_valid",
    "test_metrics_exposed",
}


@pytest.fixture(scope="module")
def stub() -> Iterator[str]:
    with serving_stub() as url:
        yield url


def smoke_run(tmp_path: Path, serving_url: str) -> GateRun:
    return run_gate(["-m", "smoke", "--serving-url", serving_url], tmp_path / "report.json")


def collected(*args: str) -> list[str]:
    """The node ids ``pytest gate_checks --collect-only`` selects with ``args``."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(GATE_DIR), "--collect-only", "-q", *args],
        cwd=ROOT,
        env=gate_env(),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )
    return [line.split("::")[-1] for line in done.stdout.splitlines() if "::" in line]


def test_a_normal_gate_run_leaves_the_smoke_checks_out() -> None:
    """Without -m smoke, no smoke check is selected (a pre-deploy run needs no live service)."""
    names = {name.split("[")[0] for name in collected()}
    assert "test_api_5xx_rate" in names
    assert not names & SMOKE_CHECKS


def test_minus_m_smoke_selects_only_the_smoke_checks() -> None:
    """-m smoke selects the four smoke checks and nothing else."""
    assert set(collected("-m", "smoke")) == SMOKE_CHECKS


def test_good_deploy_passes_every_smoke_check(tmp_path: Path, stub: str) -> None:
    """A healthy service gives GO with the four smoke checks passing."""
    run = smoke_run(tmp_path, stub + "/healthy")
    outcomes = {name: c["outcome"] for name, c in run.checks().items()}
    assert (run.report["verdict"], outcomes) == ("GO", dict.fromkeys(SMOKE_CHECKS, "pass"))


def test_bad_deploy_is_no_go_and_every_check_names_the_cause(tmp_path: Path, stub: str) -> None:
    """/health 503, an unloaded model, a wrong season and a missing metric are each named."""
    run = smoke_run(tmp_path, stub + "/broken")
    checks = run.checks()
    assert run.report["verdict"] == "NO-GO"
    assert {name: c["outcome"] for name, c in checks.items()} == dict.fromkeys(SMOKE_CHECKS, "fail")
    assert "GET /health status 503 != 200" in checks["test_serving_health"]["message"]
    assert "model=qwen_32b" in checks["test_models_loaded"]["message"]
    assert "field=season" in checks["test_brief_valid"]["message"]
    assert "name=cache_hits_total" in checks["test_metrics_exposed"]["message"]


def test_unreachable_service_is_no_go(tmp_path: Path) -> None:
    """Nothing listening at --serving-url: every smoke check is an error, the gate NO-GO."""
    run = smoke_run(tmp_path, f"http://127.0.0.1:{free_port()}")
    outcomes = {c["outcome"] for c in run.checks().values()}
    assert (run.report["verdict"], outcomes) == ("NO-GO", {"error"})
