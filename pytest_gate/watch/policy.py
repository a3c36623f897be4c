"""Watching after a deploy (DESIGN §3): the rounds, when to stop, and the final verdict (pure).

``--gate-watch SECONDS`` repeats the whole evaluation every ``--gate-interval SECONDS`` at a fresh
instant T until the watch time is over, and stops at once when ``--gate-failure-limit N``
consecutive rounds are NO-GO. The final verdict is NO-GO (reason ``watch_failure_limit``) when the
limit was reached, else the worst verdict seen, where a NO-GO round that stayed below the limit
counts as WARNING (reason ``watch_transient_no_go``): the limit is the tolerance for a transient
NO-GO, and what happened is still not a clean GO. An interrupted watch is NO-GO (``interrupted``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_gate.core.decision import EXIT_CODES, VERDICT_ORDER, Verdict
from pytest_gate.output.terminal import LIGHTS
from pytest_gate.stats.eprocess import format_e

FAILURE_LIMIT_REASON = "watch_failure_limit"
TRANSIENT_REASON = "watch_transient_no_go"
INTERRUPTED_REASON = "interrupted"
UNREADABLE_REASON = "round_error"


@dataclass(frozen=True)
class WatchPlan:
    """How long to watch, how often, and after how many consecutive NO-GO rounds to stop."""

    watch_seconds: float
    interval_seconds: float
    failure_limit: int

    @property
    def rounds(self) -> int:
        """Rounds in a full watch: one at the start, then one per interval within the watch."""
        return math.floor(self.watch_seconds / self.interval_seconds + 1e-9) + 1

    def start_offset(self, number: int) -> float:
        """Seconds after the watch started at which round ``number`` (from 1) begins."""
        return (number - 1) * self.interval_seconds


@dataclass(frozen=True)
class FailingCheck:
    """One check of a round that did not pass (its effect was WARNING or NO-GO)."""

    id: str
    title: str
    outcome: str
    effect: str
    value: float | None
    threshold: float | None
    unit: str | None
    message: str


@dataclass(frozen=True)
class CanaryEvidence:
    """A canary check's e-process in one round (DESIGN §7): the e-value and what it counted."""

    id: str
    title: str
    e_value: float
    anytime_p_value: float
    alpha: float
    canary: tuple[int, int]
    """Errors and requests since the watch began."""
    baseline: tuple[int, int]
    srm_mismatch: bool | None

    def line(self) -> str:
        """``Canary 5xx vs baseline e=463 (NO-GO at 100)``."""
        return f"{self.title} e={format_e(self.e_value)} (NO-GO at {1 / self.alpha:g})"

    def to_dict(self) -> dict[str, Any]:
        """The report's ``watch.rounds[].canary[]`` entry."""
        return {
            "id": self.id,
            "e_value": self.e_value,
            "anytime_p_value": self.anytime_p_value,
            "canary": {"errors": self.canary[0], "requests": self.canary[1]},
            "baseline": {"errors": self.baseline[0], "requests": self.baseline[1]},
            "srm_mismatch": self.srm_mismatch,
        }


def evidence_of(check: Mapping[str, Any]) -> CanaryEvidence | None:
    """The e-process of a report's check, where it has one (a canary check in a watch round)."""
    canary = check.get("canary")
    if not isinstance(canary, Mapping) or "e_value" not in canary:
        return None
    srm = canary.get("srm")
    return CanaryEvidence(
        id=str(check["id"]),
        title=str(check["title"]),
        e_value=float(canary["e_value"]),
        anytime_p_value=float(canary["anytime_p_value"]),
        alpha=float(canary["alpha"]),
        canary=(int(canary["canary"]["errors"]), int(canary["canary"]["requests"])),
        baseline=(int(canary["baseline"]["errors"]), int(canary["baseline"]["requests"])),
        srm_mismatch=None if srm is None else bool(srm["mismatch"]),
    )


@dataclass(frozen=True)
class Round:
    """One evaluation of the watch: its instant, verdict and what failed."""

    number: int
    evaluated_at: str
    verdict: Verdict
    exit_code: int
    reason: str
    failing: tuple[FailingCheck, ...] = ()
    canary: tuple[CanaryEvidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The report's ``watch.rounds[]`` entry."""
        return {
            "round": self.number,
            "evaluated_at": self.evaluated_at,
            "verdict": self.verdict.value,
            "exit_code": self.exit_code,
            "reason": self.reason,
            "failing": [
                {
                    "id": f.id,
                    "title": f.title,
                    "outcome": f.outcome,
                    "effect": f.effect,
                    "value": f.value,
                    "threshold": f.threshold,
                    "unit": f.unit,
                    "message": f.message,
                }
                for f in self.failing
            ],
            "canary": [c.to_dict() for c in self.canary],
        }


@dataclass(frozen=True)
class WatchOutcome:
    """The final verdict of a watch and why."""

    verdict: Verdict
    exit_code: int
    reason: str
    stopped_early: bool


def round_from_report(number: int, report: Mapping[str, Any]) -> Round:
    """A round from one gate run's JSON report; a report that cannot be read is a NO-GO round."""
    try:
        verdict = Verdict(report["verdict"])
        failing = tuple(
            FailingCheck(
                id=str(c["id"]),
                title=str(c["title"]),
                outcome=str(c["outcome"]),
                effect=str(c["effect"]),
                value=c.get("value"),
                threshold=c.get("threshold"),
                unit=c.get("unit"),
                message=str(c.get("message") or ""),
            )
            for c in report.get("checks", [])
            if c.get("effect") in (Verdict.WARNING.value, Verdict.NO_GO.value)
        )
        evidence = (evidence_of(c) for c in report.get("checks", []))
        return Round(
            number=number,
            evaluated_at=str(report["evaluated_at"]),
            verdict=verdict,
            exit_code=int(report["exit_code"]),
            reason=str(report["reason"]),
            failing=failing,
            canary=tuple(e for e in evidence if e is not None),
        )
    except (KeyError, TypeError, ValueError) as error:
        return unreadable_round(number, "", f"the round's report is malformed ({error})")


def unreadable_round(number: int, evaluated_at: str, cause: str) -> Round:
    """A round that could not be evaluated: it counts as NO-GO for the failure limit."""
    return Round(
        number=number,
        evaluated_at=evaluated_at,
        verdict=Verdict.NO_GO,
        exit_code=EXIT_CODES[Verdict.NO_GO],
        reason=UNREADABLE_REASON,
        failing=(
            FailingCheck(
                id="",
                title="round",
                outcome="error",
                effect=Verdict.NO_GO.value,
                value=None,
                threshold=None,
                unit=None,
                message=cause,
            ),
        ),
    )


def consecutive_no_go(rounds: Sequence[Round]) -> int:
    """How many of the latest rounds in a row are NO-GO."""
    count = 0
    for item in reversed(rounds):
        if item.verdict is not Verdict.NO_GO:
            break
        count += 1
    return count


def should_stop(rounds: Sequence[Round], plan: WatchPlan) -> bool:
    """True when the failure limit is reached: the watch ends at once."""
    return consecutive_no_go(rounds) >= plan.failure_limit


def conclude_watch(
    rounds: Sequence[Round], plan: WatchPlan, *, interrupted: bool = False
) -> WatchOutcome:
    """The final verdict: NO-GO at the failure limit or on interruption, else the worst seen."""
    limit_reached = should_stop(rounds, plan)
    stopped_early = limit_reached and len(rounds) < plan.rounds
    if interrupted:
        return WatchOutcome(
            Verdict.NO_GO, EXIT_CODES[Verdict.NO_GO], INTERRUPTED_REASON, stopped_early
        )
    if limit_reached:
        return WatchOutcome(
            Verdict.NO_GO, EXIT_CODES[Verdict.NO_GO], FAILURE_LIMIT_REASON, stopped_early
        )
    if not rounds:
        return WatchOutcome(
            Verdict.NO_GO, EXIT_CODES[Verdict.NO_GO], UNREADABLE_REASON, stopped_early
        )
    if any(r.verdict is Verdict.NO_GO for r in rounds):
        return WatchOutcome(
            Verdict.WARNING, EXIT_CODES[Verdict.WARNING], TRANSIENT_REASON, stopped_early
        )
    worst = max(rounds, key=lambda r: (VERDICT_ORDER.index(r.verdict), -r.number))
    return WatchOutcome(worst.verdict, worst.exit_code, worst.reason, stopped_early)


def round_line(item: Round, plan: WatchPlan, rounds: Sequence[Round]) -> str:
    """``watch round 3/16 at 2026-12-01T08:15:00.000Z: NO-GO (1 of limit 2) - API 5xx rate ...``."""
    head = f"watch round {item.number}/{plan.rounds} at {item.evaluated_at}: {item.verdict.value}"
    if item.verdict is Verdict.NO_GO:
        head += f" ({consecutive_no_go(rounds)} in a row, limit {plan.failure_limit})"
    evidence = "".join(f"; {c.line()}" for c in item.canary)
    if not item.failing:
        return (head if item.verdict is Verdict.GO else f"{head} - {item.reason}") + evidence
    names = ", ".join(
        f.title if f.outcome == "fail" else f"{f.title} ({f.outcome})" for f in item.failing
    )
    return f"{head} - {names}{evidence}"


def final_line(outcome: WatchOutcome, rounds: Sequence[Round], plan: WatchPlan) -> str:
    """``GATE: NO-GO (exit 2) [RED] - watch: 2 consecutive NO-GO rounds (the failure limit), ...``.

    The same head as the one-shot traffic light, so whatever reads that line reads this one.
    """
    head = (
        f"GATE: {outcome.verdict.value} (exit {outcome.exit_code}) [{LIGHTS[outcome.verdict]}] "
        "- watch:"
    )
    seen = f"{len(rounds)} of {plan.rounds} rounds"
    if outcome.reason == FAILURE_LIMIT_REASON:
        where = "stopped at" if outcome.stopped_early else "ended with"
        return (
            f"{head} {plan.failure_limit} consecutive NO-GO rounds (the failure limit), "
            f"{where} round {len(rounds)}/{plan.rounds}"
        )
    if outcome.reason == INTERRUPTED_REASON:
        return f"{head} interrupted after {seen}"
    if outcome.reason == TRANSIENT_REASON:
        bad = sum(r.verdict is Verdict.NO_GO for r in rounds)
        return (
            f"{head} {bad} NO-GO round(s) below the failure limit of {plan.failure_limit} ({seen})"
        )
    worst = "every round GO" if outcome.verdict is Verdict.GO else f"worst round {outcome.reason}"
    return f"{head} {worst} ({seen})"


def github_rounds(outcome: WatchOutcome, rounds: Sequence[Round], plan: WatchPlan) -> str:
    """A Markdown table of the rounds for ``$GITHUB_STEP_SUMMARY``."""
    lines = [
        f"## Deployment gate watch: {outcome.verdict.value} (exit {outcome.exit_code})",
        "",
        final_line(outcome, rounds, plan),
        "",
        "| round | evaluated at | verdict | reason | failing checks |",
        "|---|---|---|---|---|",
    ]
    for item in rounds:
        failing = ", ".join(f.title for f in item.failing).replace("|", "\\|")
        lines.append(
            f"| {item.number} | {item.evaluated_at} | {item.verdict.value} | {item.reason} "
            f"| {failing} |"
        )
    return "\n".join(lines) + "\n"
