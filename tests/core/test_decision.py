"""The decision table: DESIGN §3's effects, session states and the worst verdict."""

from __future__ import annotations

import pytest

from pytest_gate.core.decision import (
    CheckResult,
    Outcome,
    SessionState,
    Severity,
    Verdict,
    decide,
    effect_of,
)

C, W = Severity.CRITICAL, Severity.WARNING


@pytest.mark.parametrize(
    ("outcome", "severity", "effect"),
    [
        (Outcome.PASS, C, Verdict.GO),
        (Outcome.PASS, W, Verdict.GO),
        (Outcome.FAIL, C, Verdict.NO_GO),
        (Outcome.FAIL, W, Verdict.WARNING),
        (Outcome.NO_DATA, C, Verdict.NO_GO),
        (Outcome.NO_DATA, W, Verdict.WARNING),
        (Outcome.ERROR, C, Verdict.NO_GO),
        (Outcome.ERROR, W, Verdict.WARNING),
        (Outcome.SKIPPED, C, Verdict.NO_GO),
        (Outcome.SKIPPED, W, Verdict.WARNING),
        (Outcome.NOT_APPLICABLE, C, None),
        (Outcome.NOT_APPLICABLE, W, None),
    ],
)
def test_effect_table(outcome: Outcome, severity: Severity, effect: Verdict | None) -> None:
    """effect_of is exactly DESIGN §3's table."""
    assert effect_of(outcome, severity) == effect


@pytest.mark.parametrize("state", [s for s in SessionState if s is not SessionState.OK])
def test_every_session_state_is_no_go(state: SessionState) -> None:
    """Any session-level state beats passing checks."""
    decision = decide([CheckResult("a", C, Outcome.PASS)], session_states=[state])
    assert (decision.verdict, decision.exit_code, decision.reason) == (
        Verdict.NO_GO,
        2,
        state.value,
    )


def test_warnings_plus_one_critical_is_no_go() -> None:
    """The worst effect decides."""
    checks = [
        CheckResult("w1", W, Outcome.FAIL),
        CheckResult("w2", W, Outcome.NO_DATA),
        CheckResult("c", C, Outcome.ERROR),
    ]
    assert decide(checks).exit_code == 2


def test_only_not_applicable_checks_is_no_go() -> None:
    """Nothing checked is never GO."""
    assert decide([CheckResult("a", C, Outcome.NOT_APPLICABLE)]).reason == "no_checks"
