"""Turn pytest's per-phase reports into one gate outcome per check.

Classification happens where the exception is known (the process that ran the test, an xdist worker
included) and travels in ``report.user_properties``, which xdist serialises; the aggregation into
:class:`~pytest_gate.output.report.CheckRecord` happens in the process that decides (the controller).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest

from pytest_gate.checks.observe import (
    NOT_APPLICABLE_KEY,
    OBSERVATION_KEY,
    GateDataError,
    GateNoData,
    Observation,
)
from pytest_gate.core.decision import Outcome, SessionState, Severity
from pytest_gate.output.report import CheckRecord

META_KEY = "gate.meta"
PHASE_KEY = "gate.phase"
TIMEOUT_PREFIX = "Timeout"
MESSAGE_LIMIT = 600


class MarkerConflictError(Exception):
    """A check carries both severity markers; the run is treated as a collection error."""


def classify_exception(exc: BaseException | None, when: str) -> tuple[Outcome, bool]:
    """The outcome of a failed phase from its exception, and whether it was a timeout."""
    if isinstance(exc, MarkerConflictError):
        return Outcome.ERROR, False
    if isinstance(exc, GateNoData):
        return Outcome.NO_DATA, False
    if isinstance(exc, GateDataError):
        return Outcome.ERROR, False
    if isinstance(exc, pytest.fail.Exception) and str(exc.msg).startswith(TIMEOUT_PREFIX):
        return Outcome.ERROR, True
    if isinstance(exc, AssertionError) and when == "call":
        return Outcome.FAIL, False
    return Outcome.ERROR, False


def exception_message(exc: BaseException | None) -> str:
    """A short message for the report and the terminal (first lines of the exception)."""
    if exc is None:
        return ""
    text = exc.msg if isinstance(exc, pytest.fail.Exception | pytest.skip.Exception) else str(exc)
    text = str(text).strip() or type(exc).__name__
    plain = (
        AssertionError | GateNoData | GateDataError | MarkerConflictError | pytest.fail.Exception
    )
    if not isinstance(exc, plain):
        text = f"{type(exc).__name__}: {text}"
    return text[:MESSAGE_LIMIT]


def phase_info(
    report: pytest.TestReport, excinfo: pytest.ExceptionInfo[BaseException] | None
) -> dict[str, Any]:
    """What one phase (setup/call/teardown) means for the gate; JSON-friendly."""
    props = dict(report.user_properties)
    timed_out = False
    session_state = None
    if hasattr(report, "wasxfail"):
        outcome, message = (
            Outcome.SKIPPED,
            f"xfail is not allowed in a gate check: {report.wasxfail}",
        )
    elif report.passed:
        outcome, message = Outcome.PASS, ""
    elif report.skipped:
        reason = props.get(NOT_APPLICABLE_KEY)
        outcome = Outcome.NOT_APPLICABLE if reason else Outcome.SKIPPED
        message = str(reason) if reason else _skip_reason(report)
    else:
        exc = excinfo.value if excinfo is not None else None
        outcome, timed_out = classify_exception(exc, report.when)
        message = exception_message(exc)
        if isinstance(exc, MarkerConflictError):
            session_state = SessionState.COLLECTION_ERROR.value
    return {
        "when": report.when,
        "outcome": outcome.value,
        "message": message,
        "timeout": timed_out,
        "session_state": session_state,
    }


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return "skipped"


@dataclass
class CheckTracker:
    """Accumulates the phases of every check, in the order they were reported."""

    records: dict[str, CheckRecord] = field(default_factory=dict)

    def add(self, report: pytest.TestReport) -> None:
        """Fold one phase report into its check's record."""
        props = report.user_properties
        meta = _last(props, META_KEY)
        phase = _last(props, PHASE_KEY)
        if not isinstance(meta, dict) or not isinstance(phase, dict):
            return
        record = self.records.get(report.nodeid)
        if record is None:
            record = CheckRecord(
                id=report.nodeid,
                title=str(meta["title"]),
                severity=Severity(meta["severity"]),
                outcome=Outcome.PASS,
            )
            self.records[report.nodeid] = record
        record.duration_s += float(report.duration)
        observation = _last(props, OBSERVATION_KEY)
        if isinstance(observation, dict):  # the one place the xdist boundary is parsed back
            record.observation = Observation.from_json(observation)
        _fold_phase(record, phase)

    def session_states(self, report: pytest.TestReport) -> list[SessionState]:
        """Session-level states a phase report carries (a marker conflict is a collection error)."""
        phase = _last(report.user_properties, PHASE_KEY)
        if isinstance(phase, dict) and phase.get("session_state"):
            return [SessionState(phase["session_state"])]
        return []

    def checks(self) -> list[CheckRecord]:
        """All records, in report order."""
        return list(self.records.values())


def _fold_phase(record: CheckRecord, phase: dict[str, Any]) -> None:
    outcome = Outcome(phase["outcome"])
    if outcome is Outcome.PASS:
        return
    if phase["when"] == "teardown" and record.outcome is not Outcome.PASS:
        return  # the first failure explains the check; a teardown error adds nothing new
    record.outcome = outcome
    record.message = str(phase["message"])
    record.timed_out = bool(phase["timeout"])
    if outcome is Outcome.NOT_APPLICABLE:
        record.not_applicable_reason = record.message


def _last(props: Iterable[tuple[str, object]], key: str) -> object:
    found: object = None
    for name, value in props:
        if name == key:
            found = value
    return found
