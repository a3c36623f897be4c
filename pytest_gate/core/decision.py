"""Pure decision logic: per-check outcomes -> effects -> one verdict -> an exit code.

This module is the table of DESIGN.md §3 in code. It does no I/O and knows nothing of pytest.

| outcome        | critical check | warning check |
|----------------|----------------|---------------|
| pass           | GO             | GO            |
| fail           | NO-GO          | WARNING       |
| no_data        | NO-GO          | WARNING       |
| error          | NO-GO          | WARNING       |
| skipped        | NO-GO          | WARNING       |
| not_applicable | none           | none          |

A waived check (``[[waivers]]``, see :mod:`pytest_gate.config.waivers`) that did not pass has effect
WARNING instead of NO-GO: a waiver never yields GO.

Session-level states (no checks, collection error, interrupted, internal error, bad config, bad
options, deadline, an unwritable report) are NO-GO whatever the checks say. ``strict`` turns WARNING
into NO-GO; ``require_complete`` makes an incomplete selection NO-GO. Exit codes: GO 0, WARNING 1,
NO-GO 2.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    """What happened to one check."""

    PASS = "pass"
    FAIL = "fail"
    NO_DATA = "no_data"
    ERROR = "error"
    SKIPPED = "skipped"
    NOT_APPLICABLE = "not_applicable"


class Severity(StrEnum):
    """How much a failing check weighs."""

    CRITICAL = "critical"
    WARNING = "warning"


class Verdict(StrEnum):
    """The gate's answer; the order of :data:`VERDICT_ORDER` is from best to worst."""

    GO = "GO"
    WARNING = "WARNING"
    NO_GO = "NO-GO"


@dataclass(frozen=True)
class VerdictFacts:
    """Everything a verdict stands for outside the gate, in one row."""

    exit_code: int
    """The process exit status (DESIGN §3)."""
    gauge_value: int
    """``deployment_gate_status`` (DESIGN §6: 2 GO, 1 WARNING, 0 NO-GO)."""
    colour: str
    """The terminal colour."""
    light: str
    """The traffic light's word."""
    symbol: str
    """The light in Markdown summaries."""
    action: str
    """What CI does with it."""


VERDICT_ORDER = (Verdict.GO, Verdict.WARNING, Verdict.NO_GO)
VERDICTS: dict[Verdict, VerdictFacts] = {
    Verdict.GO: VerdictFacts(0, 2, "green", "GREEN", "🟢", "deploy"),
    Verdict.WARNING: VerdictFacts(1, 1, "yellow", "YELLOW", "🟡", "review"),
    Verdict.NO_GO: VerdictFacts(2, 0, "red", "RED", "🔴", "block"),
}
"""The one table of verdict facts; everything below and every other module reads it."""
EXIT_CODES = {verdict: facts.exit_code for verdict, facts in VERDICTS.items()}
GAUGE_VALUES = {verdict: facts.gauge_value for verdict, facts in VERDICTS.items()}


class SessionState(StrEnum):
    """Session-level states; every one but ``OK`` is NO-GO. The value is the report's ``reason``."""

    OK = "ok"
    NO_CHECKS = "no_checks"
    COLLECTION_ERROR = "collection_error"
    INTERRUPTED = "interrupted"
    INTERNAL_ERROR = "internal_error"
    CONFIG_ERROR = "config_error"
    USAGE_ERROR = "usage_error"
    DEADLINE = "deadline"
    TIMEOUT = "timeout"
    REPORT_ERROR = "report_error"
    RECORD_ERROR = "record_error"


def effect_of(outcome: Outcome, severity: Severity, *, waived: bool = False) -> Verdict | None:
    """The effect of one check on the verdict; ``None`` for not_applicable.

    ``waived``: a waiver covers this check, so a NO-GO becomes WARNING (never GO).
    """
    if outcome is Outcome.NOT_APPLICABLE:
        return None
    if outcome is Outcome.PASS:
        return Verdict.GO
    if waived:
        return Verdict.WARNING
    return Verdict.NO_GO if severity is Severity.CRITICAL else Verdict.WARNING


def worst(verdicts: Iterable[Verdict]) -> Verdict:
    """The worst of some verdicts (GO when there are none)."""
    return max(verdicts, key=VERDICT_ORDER.index, default=Verdict.GO)


@dataclass(frozen=True)
class CheckResult:
    """The minimum the decision needs from one check."""

    name: str
    severity: Severity
    outcome: Outcome
    waived: bool = False


@dataclass(frozen=True)
class Decision:
    """The verdict, its exit code and a one-line reason."""

    verdict: Verdict
    exit_code: int
    reason: str


def decide(
    checks: Sequence[CheckResult],
    *,
    session_states: Sequence[SessionState] = (),
    strict: bool = False,
    require_complete: bool = False,
    complete: bool = True,
) -> Decision:
    """Decide the verdict of a gate run (DESIGN.md §3)."""
    blocking = [s for s in session_states if s is not SessionState.OK]
    if blocking:
        return _decision(Verdict.NO_GO, blocking[0].value)
    if not any(c.outcome is not Outcome.NOT_APPLICABLE for c in checks):
        return _decision(Verdict.NO_GO, SessionState.NO_CHECKS.value)
    if require_complete and not complete:
        return _decision(Verdict.NO_GO, "incomplete_selection")
    effects = [(c, effect_of(c.outcome, c.severity, waived=c.waived)) for c in checks]
    verdict = worst(e for _, e in effects if e is not None)
    if verdict is Verdict.GO:
        return _decision(Verdict.GO, "all_checks_passed")
    if verdict is Verdict.WARNING and strict:
        return _decision(Verdict.NO_GO, "strict_warning")
    deciding = [c for c, e in effects if e is verdict]
    if all(c.waived and c.severity is Severity.CRITICAL for c in deciding):
        waived = sorted({c.outcome.value for c in deciding})
        return _decision(verdict, "waived_critical_" + "+".join(waived))
    sev = Severity.CRITICAL if verdict is Verdict.NO_GO else Severity.WARNING
    outcomes = sorted({c.outcome.value for c, e in effects if e is verdict and c.severity is sev})
    return _decision(verdict, f"{sev.value}_" + "+".join(outcomes))


def _decision(verdict: Verdict, reason: str) -> Decision:
    return Decision(verdict=verdict, exit_code=EXIT_CODES[verdict], reason=reason)
