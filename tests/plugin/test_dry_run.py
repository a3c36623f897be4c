"""--gate-dry-run: decide and report as usual, say the verdict it would have given, exit 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_gate.run.conclusion import DRY_RUN_LINE
from tests.plugin.suite import load_strict, write_check

CRITICAL_FAIL = (
    '@pytest.mark.critical\ndef test_errors(gate):\n    """API 5xx rate"""\n'
    "    gate.expect(0.02, '<=', 0.005, what='5xx rate', unit='ratio')\n"
)
PASSING = (
    "@pytest.mark.critical\ndef test_ok(gate):\n    gate.expect(1, '<=', 2, what='x', unit='s')\n"
)


def test_dry_run_of_a_no_go_exits_0_and_reports_the_verdict(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """A NO-GO under --gate-dry-run exits 0; the report keeps verdict NO-GO, exit_code 2."""
    write_check(gate_suite, "errors", CRITICAL_FAIL)
    result = pytester.runpytest("gate_checks", "--gate-dry-run", "--gate-report", "r.json")
    assert result.ret == 0
    report = load_strict(pytester.path / "r.json")
    assert (report["verdict"], report["exit_code"], report["dry_run"]) == ("NO-GO", 2, True)
    assert report["checks"][0]["outcome"] == "fail"


def test_dry_run_terminal_says_the_verdict_it_would_have_given(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """The traffic light is the usual one, followed by the line naming the would-be exit code."""
    write_check(gate_suite, "errors", CRITICAL_FAIL)
    result = pytester.runpytest("gate_checks", "--gate-dry-run", "-q")
    result.stdout.fnmatch_lines(
        [
            "GATE: NO-GO (exit 2) [[]RED] - 1 critical check failed: API 5xx rate",
            DRY_RUN_LINE.format(verdict="NO-GO", code=2).replace("[", "[[]"),
        ]
    )


def test_dry_run_from_ini(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """The ini twin gate_dry_run works like the flag."""
    write_check(gate_suite, "errors", CRITICAL_FAIL)
    pytester.makeini("[pytest]\ngate = true\ngate_dry_run = true\n")
    assert pytester.runpytest("gate_checks").ret == 0


def test_without_dry_run_the_same_suite_blocks(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """The same NO-GO without the option exits 2 and reports dry_run false."""
    write_check(gate_suite, "errors", CRITICAL_FAIL)
    result = pytester.runpytest("gate_checks", "--gate-report", "r.json")
    assert result.ret == 2
    assert load_strict(pytester.path / "r.json")["dry_run"] is False
    assert "GATE DRY RUN" not in result.stdout.str()


def test_dry_run_of_a_go_exits_0(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """A GO under a dry run is still GO, exit 0, and says so."""
    write_check(gate_suite, "ok", PASSING)
    result = pytester.runpytest("gate_checks", "--gate-dry-run")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*would have said GO (exit 0); exiting 0"])


def test_dry_run_with_a_bad_option_still_exits_0_with_the_usage_error_reported(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """A bad --gate-deadline is NO-GO usage_error in the report; the dry run still exits 0."""
    write_check(gate_suite, "ok", PASSING)
    result = pytester.runpytest(
        "gate_checks", "--gate-dry-run", "--gate-deadline", "soon", "--gate-report", "r.json"
    )
    assert result.ret == 0
    report = load_strict(pytester.path / "r.json")
    assert (report["verdict"], report["reason"], report["dry_run"]) == (
        "NO-GO",
        "usage_error",
        True,
    )


def test_bad_dry_run_value_in_the_ini_is_a_usage_error(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """gate_dry_run = maybe is refused by pytest (exit 4): an unreadable dry run never exits 0."""
    write_check(gate_suite, "errors", CRITICAL_FAIL)
    pytester.makeini("[pytest]\ngate = true\ngate_dry_run = maybe\n")
    result = pytester.runpytest("gate_checks")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "invalid truth value 'maybe'" in result.stderr.str()


def test_dry_run_summary_says_it_exits_0(
    pytester: pytest.Pytester, gate_suite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GITHUB_STEP_SUMMARY names the dry run and the verdict it would have given."""
    summary = pytester.path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    write_check(gate_suite, "errors", CRITICAL_FAIL)
    pytester.runpytest("gate_checks", "--gate-dry-run")
    assert "Deployment gate dry run: would be NO-GO (exit 2); exits 0" in summary.read_text()
