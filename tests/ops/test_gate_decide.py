"""scripts/gate_decide.py: exit codes captured without bash -e, the report trusted only when sound."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.ops.paths import GATE_DECIDE
from tests.ops.real_gate import gate_command, gate_env, write_suite

EXIT = {"GO": 0, "WARNING": 1, "NO-GO": 2}


def report(verdict: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "schema_version": 1, "verdict": verdict, "exit_code": EXIT[verdict], "complete": True,
        "reason": f"checks say {verdict}", "checks": [],
    }
    body.update(extra)
    return body


def fake_gate(report_path: Path, exit_code: int, content: str | None) -> list[str]:
    """A gate command (a real child process) that writes ``content`` and exits ``exit_code``."""
    code = (
        "import pathlib, sys\n"
        f"content = {content!r}\n"
        f"if content is not None: pathlib.Path({str(report_path)!r}).write_text(content)\n"
        f"sys.exit({exit_code})\n"
    )
    return [sys.executable, "-c", code]


def decide(tmp_path: Path, exit_code: int, content: str | None, *extra: str) -> tuple[int, dict[str, str], str]:
    """Run the script like the workflow does; return its exit code, outputs and summary."""
    report_path = tmp_path / "gate_report.json"
    outputs = tmp_path / "github_output"
    summary = tmp_path / "summary.md"
    result = subprocess.run(
        [sys.executable, str(GATE_DECIDE), "--report", str(report_path),
         "--github-output", str(outputs), "--summary", str(summary), *extra,
         "--", *fake_gate(report_path, exit_code, content)],
        capture_output=True, text=True, check=False, timeout=60,
    )
    parsed = dict(line.split("=", 1) for line in outputs.read_text().splitlines()) if outputs.exists() else {}
    return result.returncode, parsed, summary.read_text() if summary.exists() else ""


@pytest.mark.parametrize(
    ("verdict", "decision"), [("GO", "deploy"), ("WARNING", "review"), ("NO-GO", "block")]
)
def test_each_gate_exit_code_maps_to_its_decision(tmp_path: Path, verdict: str, decision: str) -> None:
    """Exit 0/1/2 with an agreeing report gives GO/deploy, WARNING/review, NO-GO/block."""
    _, outputs, _ = decide(tmp_path, EXIT[verdict], json.dumps(report(verdict)),
                           "--allow", "GO", "--allow", "WARNING")
    assert (outputs["verdict"], outputs["decision"], outputs["exit_code"]) == (
        verdict, decision, str(EXIT[verdict]))


def test_warning_passes_the_step_when_allowed(tmp_path: Path) -> None:
    """With --allow WARNING the step succeeds on WARNING, so the review job can run."""
    rc, _, _ = decide(tmp_path, 1, json.dumps(report("WARNING")), "--allow", "GO", "--allow", "WARNING")
    assert rc == 0


def test_no_go_fails_the_step_even_when_warning_is_allowed(tmp_path: Path) -> None:
    """NO-GO is never allowed by the pre-deploy step: the script exits 1."""
    rc, _, _ = decide(tmp_path, 2, json.dumps(report("NO-GO")), "--allow", "GO", "--allow", "WARNING")
    assert rc == 1


def test_warning_fails_a_step_that_allows_only_go(tmp_path: Path) -> None:
    """The post-deploy strict step (default --allow GO) fails on WARNING."""
    rc, outputs, _ = decide(tmp_path, 1, json.dumps(report("WARNING")))
    assert rc == 1
    assert outputs["verdict"] == "WARNING"


def test_missing_report_is_no_go(tmp_path: Path) -> None:
    """A gate that exits 0 but writes no report is NO-GO: the exit code alone is not trusted."""
    rc, outputs, _ = decide(tmp_path, 0, None, "--allow", "GO")
    assert (rc, outputs["verdict"]) == (1, "NO-GO")
    assert "no report at" in outputs["reason"]


def test_garbage_report_is_no_go(tmp_path: Path) -> None:
    """A report that is not JSON is NO-GO with the parse problem in the reason."""
    _, outputs, _ = decide(tmp_path, 0, "<html>proxy error</html>")
    assert outputs["verdict"] == "NO-GO"
    assert "not valid JSON" in outputs["reason"]


def test_report_with_nan_token_is_no_go(tmp_path: Path) -> None:
    """A report carrying a NaN token (invalid JSON) is NO-GO, not silently accepted."""
    text = json.dumps(report("GO")).replace('"checks": []', '"checks": [{"value": NaN}]')
    _, outputs, _ = decide(tmp_path, 0, text)
    assert outputs["verdict"] == "NO-GO"
    assert "NaN" in outputs["reason"]


def test_report_verdict_disagreeing_with_the_exit_code_is_no_go(tmp_path: Path) -> None:
    """A report saying GO next to a gate exit of 2 is NO-GO (a stale or foreign report)."""
    _, outputs, _ = decide(tmp_path, 2, json.dumps(report("GO")), "--allow", "GO")
    assert outputs["verdict"] == "NO-GO"
    assert "says GO but the gate exited 2" in outputs["reason"]


def test_report_whose_own_exit_code_disagrees_with_its_verdict_is_no_go(tmp_path: Path) -> None:
    """verdict GO with exit_code 2 inside the report is inconsistent, hence NO-GO."""
    _, outputs, _ = decide(tmp_path, 0, json.dumps(report("GO", exit_code=2)))
    assert outputs["verdict"] == "NO-GO"
    assert "inconsistent" in outputs["reason"]


def test_unknown_verdict_in_report_is_no_go(tmp_path: Path) -> None:
    """A report whose verdict is not GO/WARNING/NO-GO is NO-GO."""
    _, outputs, _ = decide(tmp_path, 0, json.dumps({"verdict": "PASS", "exit_code": 0}))
    assert outputs["verdict"] == "NO-GO"
    assert "no valid verdict" in outputs["reason"]


@pytest.mark.parametrize("exit_code", [3, 4, 5])
def test_exit_codes_outside_the_verdicts_are_no_go(tmp_path: Path, exit_code: int) -> None:
    """pytest's internal error, usage error or no-tests exits are NO-GO whatever the report says."""
    _, outputs, _ = decide(tmp_path, exit_code, json.dumps(report("GO")))
    assert outputs["verdict"] == "NO-GO"
    assert f"exited {exit_code}" in outputs["reason"]


def test_incomplete_report_is_no_go_when_completeness_is_required(tmp_path: Path) -> None:
    """--require-complete turns a GO report with complete false into NO-GO."""
    _, outputs, _ = decide(tmp_path, 0, json.dumps(report("GO", complete=False)), "--require-complete")
    assert outputs["verdict"] == "NO-GO"
    assert "incomplete" in outputs["reason"]


def test_stale_report_from_an_earlier_run_is_never_read(tmp_path: Path) -> None:
    """A GO report left on disk does not speak for a gate run that writes none."""
    (tmp_path / "gate_report.json").write_text(json.dumps(report("GO")))
    _, outputs, _ = decide(tmp_path, 0, None)
    assert outputs["verdict"] == "NO-GO"


def test_gate_command_that_cannot_start_is_no_go(tmp_path: Path) -> None:
    """A missing gate executable is NO-GO with a reason, not a traceback."""
    result = subprocess.run(
        [sys.executable, str(GATE_DECIDE), "--report", str(tmp_path / "r.json"),
         "--github-output", str(tmp_path / "out"), "--", str(tmp_path / "no-such-gate")],
        capture_output=True, text=True, check=False, timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "verdict=NO-GO" in (tmp_path / "out").read_text()


def test_summary_lists_the_checks_that_did_not_pass(tmp_path: Path) -> None:
    """The job summary shows the verdict and a row per failing check with value and threshold."""
    checks = [
        {"id": "gate_checks/test_latency.py::test_p95[fast]", "severity": "warning",
         "outcome": "fail", "value": 2.81, "threshold": 2.5, "comparison": "<=", "unit": "s",
         "message": "fast p95 2.81 s > 2.50 s"},
        {"id": "gate_checks/test_errors.py::test_api_5xx_rate", "severity": "critical",
         "outcome": "pass", "value": 0.0, "threshold": 0.005, "comparison": "<=", "unit": "ratio"},
    ]
    _, _, summary = decide(tmp_path, 1, json.dumps(report("WARNING", checks=checks)),
                           "--allow", "WARNING")
    assert "WARNING" in summary.splitlines()[0]
    assert "| gate_checks/test_latency.py::test_p95[fast] | warning | fail | 2.81 s | <= 2.5 |" in summary
    assert "test_api_5xx_rate" not in summary


def test_the_gate_does_not_write_its_own_summary_next_to_the_decision(tmp_path: Path) -> None:
    """With --summary, the gate child runs without GITHUB_STEP_SUMMARY: one summary, not two."""
    summary = tmp_path / "summary.md"
    report_path = tmp_path / "gate_report.json"
    child = (
        "import json, os, pathlib, sys\n"
        "target = os.environ.get('GITHUB_STEP_SUMMARY')\n"
        "if target: open(target, 'a').write('PLUGIN SUMMARY\\n')\n"
        f"pathlib.Path({str(report_path)!r}).write_text({json.dumps(report('GO'))!r})\n"
    )
    subprocess.run(
        [sys.executable, str(GATE_DECIDE), "--report", str(report_path), "--summary", str(summary),
         "--", sys.executable, "-c", child],
        env={**os.environ, "GITHUB_STEP_SUMMARY": str(summary)},
        capture_output=True, text=True, check=False, timeout=60,
    )
    text = summary.read_text()
    assert "PLUGIN SUMMARY" not in text
    assert text.startswith("## Deployment gate: 🟢 GO")


def test_missing_command_is_a_usage_error(tmp_path: Path) -> None:
    """No gate command after -- exits 64 with a message showing the fix."""
    result = subprocess.run(
        [sys.executable, str(GATE_DECIDE), "--report", str(tmp_path / "r.json")],
        capture_output=True, text=True, check=False, timeout=60,
    )
    assert result.returncode == 64
    assert "put it after --" in result.stderr



def run_real_gate(tmp_path: Path, *, warning_ok: bool, critical_ok: bool) -> tuple[int, dict[str, str]]:
    """gate_decide around a real pytest gate run (the pytest-gate plugin) on a tiny suite."""
    write_suite(tmp_path, warning_ok=warning_ok, critical_ok=critical_ok)
    outputs = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, str(GATE_DECIDE), "--report", "gate_report.json", "--require-complete",
         "--allow", "GO", "--allow", "WARNING", "--github-output", str(outputs), "--",
         *gate_command("--gate-report", "gate_report.json", "--gate-require-complete")],
        cwd=tmp_path, env=gate_env(), capture_output=True, text=True, check=False, timeout=120,
    )
    return result.returncode, dict(line.split("=", 1) for line in outputs.read_text().splitlines())


def test_real_gate_run_with_a_failing_warning_check_goes_to_review(tmp_path: Path) -> None:
    """A real gate run exiting 1 reaches the review decision instead of dying under bash -e."""
    rc, outputs = run_real_gate(tmp_path, warning_ok=False, critical_ok=True)
    assert (rc, outputs["verdict"], outputs["decision"]) == (0, "WARNING", "review")


def test_real_gate_run_with_a_failing_critical_check_blocks(tmp_path: Path) -> None:
    """A real gate run with a critical failure is blocked and fails the step."""
    rc, outputs = run_real_gate(tmp_path, warning_ok=True, critical_ok=False)
    assert (rc, outputs["verdict"], outputs["decision"]) == (1, "NO-GO", "block")
