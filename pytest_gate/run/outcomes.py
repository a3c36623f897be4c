"""Turn pytest's per-phase reports into one gate outcome per check.

Classification happens where the exception is known (the process that ran the test, an xdist worker
included). Its result is one frozen :class:`CheckPhase` - the check's meta, the phase's outcome and
what ``gate.expect`` observed - carried on the report object (``report.gate_phase``), never in
``user_properties`` (which JUnit XML writes out). It crosses xdist's process boundary once, as JSON
(:func:`to_wire`/:func:`from_wire`, called from the plugin's report-serialisation hooks); the
aggregation into :class:`~pytest_gate.output.report.CheckRecord` happens where the gate decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from pytest_gate.checks.observation import Observation
from pytest_gate.checks.observe import Findings, GateDataError, GateNoData
from pytest_gate.core.decision import Outcome, SessionState, Severity
from pytest_gate.output.report import CheckRecord

REPORT_ATTRIBUTE = "gate_phase"
"""The attribute of ``pytest.TestReport`` that carries a gate check's :class:`CheckPhase`."""
TIMEOUT_PREFIX = "Timeout"
MESSAGE_LIMIT = 600
CHECK_META = pytest.StashKey["CheckMeta"]()
FINDINGS = pytest.StashKey[Findings]()


@dataclass(frozen=True)
class CheckMeta:
    """What collection knows of a check: its title and severity (unmarked counts as critical)."""

    title: str
    severity: Severity


@dataclass(frozen=True)
class CheckPhase:
    """One phase (setup/call/teardown) of one check as the gate sees it: the one record per phase.

    Built where the phase ran, read where the gate decides; nothing in it is read back by key.
    """

    meta: CheckMeta
    when: str
    outcome: Outcome
    message: str = ""
    timed_out: bool = False
    session_state: SessionState | None = None
    observation: Observation | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON for the process boundary (xdist)."""
        return {
            "title": self.meta.title,
            "severity": self.meta.severity.value,
            "when": self.when,
            "outcome": self.outcome.value,
            "message": self.message,
            "timed_out": self.timed_out,
            "session_state": None if self.session_state is None else self.session_state.value,
            "observation": None if self.observation is None else self.observation.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CheckPhase:
        """The record of :meth:`to_json`."""
        observation = data.get("observation")
        state = data.get("session_state")
        return cls(
            meta=CheckMeta(str(data["title"]), Severity(data["severity"])),
            when=str(data["when"]),
            outcome=Outcome(data["outcome"]),
            message=str(data["message"]),
            timed_out=bool(data["timed_out"]),
            session_state=None if state is None else SessionState(state),
            observation=None if observation is None else Observation.from_json(observation),
        )


def phase_of(report: pytest.TestReport | pytest.CollectReport) -> CheckPhase | None:
    """The gate record a report carries, or ``None`` for a report that is not a gate check's."""
    phase = getattr(report, REPORT_ATTRIBUTE, None)
    return phase if isinstance(phase, CheckPhase) else None


def to_wire(report: pytest.TestReport | pytest.CollectReport, data: dict[str, Any]) -> None:
    """Replace the record in a serialised report by its JSON (xdist workers, report logs)."""
    phase = phase_of(report)
    if phase is not None:
        data[REPORT_ATTRIBUTE] = phase.to_json()
    else:
        data.pop(REPORT_ATTRIBUTE, None)


def from_wire(report: pytest.TestReport | pytest.CollectReport) -> None:
    """Turn the JSON of :func:`to_wire` back into the record, once, where the report arrives."""
    data = getattr(report, REPORT_ATTRIBUTE, None)
    if isinstance(data, Mapping):
        setattr(report, REPORT_ATTRIBUTE, CheckPhase.from_json(data))


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
    report: pytest.TestReport,
    excinfo: pytest.ExceptionInfo[BaseException] | None,
    meta: CheckMeta,
    findings: Findings | None,
) -> CheckPhase:
    """What one phase (setup/call/teardown) means for the gate, with what the check observed."""
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
        reason = findings.not_applicable if findings is not None else None
        outcome = Outcome.NOT_APPLICABLE if reason else Outcome.SKIPPED
        message = str(reason) if reason else _skip_reason(report)
    else:
        exc = excinfo.value if excinfo is not None else None
        outcome, timed_out = classify_exception(exc, report.when)
        message = exception_message(exc)
        if isinstance(exc, MarkerConflictError):
            session_state = SessionState.COLLECTION_ERROR
    return CheckPhase(
        meta=meta,
        when=report.when,
        outcome=outcome,
        message=message,
        timed_out=timed_out,
        session_state=session_state,
        observation=findings.observation if findings is not None else None,
    )


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return "skipped"


@dataclass
class CheckTracker:
    """Accumulates the phases of every check, in the order they were reported."""

    records: dict[str, CheckRecord] = field(default_factory=dict)

    def add(self, phase: CheckPhase, nodeid: str, duration_s: float) -> None:
        """Fold one phase into its check's record."""
        record = self.records.get(nodeid)
        if record is None:
            record = CheckRecord(
                id=nodeid,
                title=phase.meta.title,
                severity=phase.meta.severity,
                outcome=Outcome.PASS,
            )
            self.records[nodeid] = record
        record.duration_s += duration_s
        if phase.observation is not None:
            record.observation = phase.observation
        _fold_phase(record, phase)

    def checks(self) -> list[CheckRecord]:
        """All records, in report order."""
        return list(self.records.values())


def _fold_phase(record: CheckRecord, phase: CheckPhase) -> None:
    if phase.outcome is Outcome.PASS:
        return
    if phase.when == "teardown" and record.outcome is not Outcome.PASS:
        return  # the first failure explains the check; a teardown error adds nothing new
    record.outcome = phase.outcome
    record.message = phase.message
    record.timed_out = phase.timed_out
    if phase.outcome is Outcome.NOT_APPLICABLE:
        record.not_applicable_reason = record.message
