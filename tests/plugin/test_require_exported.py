"""``gate.require_exported``: absent is not zero. A metric the engine does not export at all is
not_applicable with the reason; an engine absent altogether is no_data; present goes on."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.plugin.suite import load_strict, write_check

CHECK = '''
from pytest_gate import Answer, DataState, SeriesValue


def held(count, state=DataState.OK):
    series = (SeriesValue((), float(count)),) if state is DataState.OK else ()
    return Answer("count(last_over_time(x[1h]))", state, series, message="boom")


@pytest.mark.critical
def test_subject(gate):
    """Subject check"""
    gate.require_exported({presence}, what="vllm:x", engine={engine})
    gate.expect(0.5, "<=", 1.0, what="x", unit="")
'''


def _outcome(pytester: pytest.Pytester, gate_suite: Path, presence: str, engine: str) -> dict:
    write_check(gate_suite, "subject", CHECK.format(presence=presence, engine=engine))
    pytester.runpytest("gate_checks", "--gate-report", "r.json")
    check: dict = load_strict(pytester.path / "r.json")["checks"][0]
    return check


def test_exported_metric_goes_on_to_the_comparison(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """Series of the metric in the look-back: the check compares as usual."""
    assert _outcome(pytester, gate_suite, "held(2)", "held(5)")["outcome"] == "pass"


def test_metric_not_exported_is_not_applicable_with_the_reason(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """No series of the metric while the engine exports others: not_applicable, never pass."""
    check = _outcome(pytester, gate_suite, "held(0)", "held(5)")
    assert check["outcome"] == "not_applicable"
    assert "vllm:x: not exported by this engine version" in check["message"]


def test_engine_absent_altogether_is_no_data(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """Nothing of the engine in the source: no_data (a wrong selector must not pass as n/a)."""
    check = _outcome(pytester, gate_suite, "held(0)", "held(0)")
    assert check["outcome"] == "no_data"
    assert "holds no series of the engine" in check["message"]


def test_failed_presence_answer_fails_closed(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """A presence question that errored is an error, not a pass and not not_applicable."""
    check = _outcome(pytester, gate_suite, "held(0, DataState.ERROR)", "held(5)")
    assert check["outcome"] == "error"
