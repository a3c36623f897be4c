"""The terminal's one-line labels."""

from __future__ import annotations

from pytest_gate.checks.observe import Observation, ObservedSeries
from pytest_gate.core.decision import Outcome, Severity
from pytest_gate.core.query import DataState
from pytest_gate.output.report import CheckRecord
from pytest_gate.output.terminal import check_label

C = Severity.CRITICAL


def test_traffic_light_cuts_long_label_values() -> None:
    """A response body in a label does not flood the one-line verdict."""
    record = CheckRecord(
        id="x::test_health",
        title="Serving health",
        severity=C,
        outcome=Outcome.FAIL,
        observation=Observation(
            what="health",
            value=503.0,
            threshold=200.0,
            comparison="==",
            unit="",
            margin=-303.0,
            series=(ObservedSeries((("body", "b" * 500),), 503.0, margin=-1.0, passed=False),),
            query=None,
            window_seconds=None,
            samples=None,
            passed=False,
            state=DataState.OK,
        ),
    )
    label = check_label(record)
    assert label == "Serving health body=" + "b" * 37 + "..."
