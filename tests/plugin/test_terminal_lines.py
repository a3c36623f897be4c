"""The terminal report a person reads at a glance: one line per check, each cause once."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_gate.core.decision import Outcome, Severity
from pytest_gate.output.report import CheckRecord
from pytest_gate.output.terminal import check_line

SIXTEEN = '''
import pytest

from pytest_gate.core.query import Answer, DataState

LONG_QUERY = "sum by (mode) (increase(llm_brief_total{namespace='prod'}[30m]))" * 4


@pytest.mark.critical
@pytest.mark.parametrize("n", range(16))
def test_unreachable(gate, n):
    """Check"""
    answer = Answer(
        query_text=LONG_QUERY,
        state=DataState.ERROR,
        message=f"cause-{n:02d} connection refused (query: {LONG_QUERY})",
    )
    gate.expect(answer, "<=", 1.0, what=f"thing {n:02d}", unit="s")
'''
ONE_FAIL = '''
import pytest


@pytest.mark.warning
def test_slow(gate):
    """Fast p95"""
    gate.expect(2.9, "<=", 2.5, what="fast p95", unit="s")
'''


def test_sixteen_check_no_go_fits_a_screen_and_says_each_cause_once(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """No failure section, no short summary: 16 lines, one light, no line past the width."""
    (gate_suite / "test_sixteen.py").write_text(SIXTEEN)
    # Without the warnings summary, which depends on how this test session loaded the plugin.
    result = pytester.runpytest("gate_checks", "-p", "no:cacheprovider", "-p", "no:warnings")
    assert result.ret == 2
    lines = result.stdout.lines
    assert len(lines) <= 30, "\n".join(lines)
    for n in range(16):
        assert sum(f"cause-{n:02d}" in line for line in lines) == 1, "\n".join(lines)
    assert not any("query: sum by" in line for line in lines)
    gate_lines = [line for line in lines if line.startswith("ERROR ")]
    assert len(gate_lines) == 16
    assert all(len(line) <= 120 for line in gate_lines)
    assert "FAILURES" not in result.stdout.str()
    assert "short test summary" not in result.stdout.str()


def test_verbose_adds_the_query_and_keeps_lines_whole(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """-v: the whole cause on the line, the query once, indented below it."""
    (gate_suite / "test_sixteen.py").write_text(SIXTEEN)
    result = pytester.runpytest("gate_checks", "-v", "-p", "no:cacheprovider")
    text = result.stdout.str()
    assert text.count("    query: sum by (mode)") == 16
    assert text.count("query: sum by") == 16  # once per check, nowhere else
    result.stdout.fnmatch_lines(
        ["ERROR*critical*Check [[]3[]]: thing 03: cause-03 connection refused"]
    )


def test_a_failure_line_gives_value_limit_and_margin_once(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """A breach: the values once on the gate line, not again as pytest's failure text."""
    (gate_suite / "test_one.py").write_text(ONE_FAIL)
    result = pytester.runpytest("gate_checks", "-p", "no:cacheprovider")
    assert result.stdout.str().count("2.90 s") == 1
    result.stdout.fnmatch_lines(["FAIL*warning*Fast p95: 2.90 s > 2.50 s (margin -0.40 s)"])


def test_asking_for_tracebacks_still_gets_them(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """--tb and -r given by hand are honoured in gate mode."""
    (gate_suite / "test_one.py").write_text(ONE_FAIL)
    result = pytester.runpytest("gate_checks", "--tb=short", "-rf", "-p", "no:cacheprovider")
    assert "FAILURES" in result.stdout.str()
    assert "short test summary" in result.stdout.str()


def test_a_line_is_cut_to_the_width_it_is_given() -> None:
    """On a terminal the line ends at its width, the cut marked; without a width it is whole."""
    record = CheckRecord(
        id="gate_checks/test_x.py::test_x",
        title="API 5xx rate",
        severity=Severity.CRITICAL,
        outcome=Outcome.ERROR,
        message="5xx rate (5m): " + " ".join(["connection refused"] * 10),
    )
    cut, _ = check_line(record, 60)
    whole, _ = check_line(record)
    assert len(cut) == 60 and cut.endswith("...")
    assert whole.endswith("connection refused") and len(whole) > 60
