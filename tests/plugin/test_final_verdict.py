"""The push and the GitHub summary read the final decision: an unwritable report included."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.plugin.suite import write_check
from tests.support.prometheus_server import Pushgateway

PASSING = (
    "@pytest.mark.critical\ndef test_ok(gate):\n    gate.expect(1, '<=', 2, what='x', unit='s')\n"
)


def test_summary_of_an_unwritable_report_says_no_go(
    pytester: pytest.Pytester, gate_suite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every check passes, the report cannot be written: the step summary says NO-GO, report_error."""
    write_check(gate_suite, "ok", PASSING)
    summary = pytester.path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    target = pytester.path / "missing-dir" / "r.json"
    result = pytester.runpytest("gate_checks", "--gate-report", str(target))
    assert result.ret == 2
    text = summary.read_text()
    assert "NO-GO (exit 2)" in text
    assert "Reason: `report_error`" in text
    assert "GO (exit 0)" not in text.replace("NO-GO (exit 2)", "")


ROUND = (
    "@pytest.mark.critical\ndef test_round(gate):\n    '''Round health'''\n"
    "    gate.expect(1, '<=', 2, what='x', unit='s')\n"
)


@pytest.mark.prometheus
def test_watch_with_an_unwritable_report_pushes_no_go_last(
    pytester: pytest.Pytester, gate_suite: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Every round GO, the final report cannot be written: exit 2, and the last push is NO-GO (0)."""
    write_check(gate_suite, "round", ROUND)
    target = pytester.path / "missing-dir" / "r.json"
    with Pushgateway.start(tmp_path_factory.mktemp("pushgateway")) as gateway:
        result = pytester.runpytest(
            "gate_checks",
            "--gate-watch",
            "0.02",
            "--gate-interval",
            "0.01",
            "--gate-report",
            str(target),
            "--gate-pushgateway",
            gateway.url,
            "--gate-environment",
            "ci-watch",
        )
        exposed = requests.get(gateway.url + "/metrics", timeout=5).text
    assert result.ret == 2
    result.stdout.fnmatch_lines(
        ["watch round 3/3 at *: GO", "GATE: NO-GO (exit 2) [[]RED] - watch: the gate report*"]
    )
    status = [
        line
        for line in exposed.splitlines()
        if line.startswith("deployment_gate_status{") and "ci-watch" in line
    ]
    assert status == [
        'deployment_gate_status{environment="ci-watch",instance="",job="deployment_gate"} 0'
    ]
