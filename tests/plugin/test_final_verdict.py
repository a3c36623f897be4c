"""The push and the GitHub summary read the final decision: an unwritable report included."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.plugin.suite import write_check

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
