"""The watch's pure parts: round count, stopping, the final verdict, the child's command line."""

from __future__ import annotations

import pytest

from pytest_gate.core.decision import EXIT_CODES, Verdict
from pytest_gate.watch.policy import (
    FAILURE_LIMIT_REASON,
    INTERRUPTED_REASON,
    TRANSIENT_REASON,
    Round,
    WatchPlan,
    conclude_watch,
    round_from_report,
    should_stop,
)
from pytest_gate.watch.rounds import child_args

GO, WARN, NOGO = Verdict.GO, Verdict.WARNING, Verdict.NO_GO


def rounds_of(*verdicts: Verdict) -> list[Round]:
    return [
        Round(n, f"t{n}", v, EXIT_CODES[v], "all_checks_passed" if v is GO else "x")
        for n, v in enumerate(verdicts, start=1)
    ]


@pytest.mark.parametrize(
    ("watch", "interval", "rounds"), [(900, 60, 16), (60, 60, 2), (90, 60, 2), (0.3, 0.1, 4)]
)
def test_a_watch_has_a_round_at_the_start_and_one_per_interval(
    watch: float, interval: float, rounds: int
) -> None:
    """900 s at 60 s: rounds at 0, 60, ..., 900."""
    assert WatchPlan(watch, interval, 1).rounds == rounds


@pytest.mark.parametrize(
    ("verdicts", "limit", "final", "reason"),
    [
        ((GO, GO, GO), 1, GO, "all_checks_passed"),
        ((GO, WARN, GO), 1, WARN, "x"),
        ((GO, NOGO), 1, NOGO, FAILURE_LIMIT_REASON),
        ((GO, NOGO, GO), 2, WARN, TRANSIENT_REASON),
        ((NOGO, GO, NOGO, GO), 2, WARN, TRANSIENT_REASON),
        ((GO, NOGO, NOGO), 2, NOGO, FAILURE_LIMIT_REASON),
        ((), 1, NOGO, "round_error"),
    ],
)
def test_final_verdict(
    verdicts: tuple[Verdict, ...], limit: int, final: Verdict, reason: str
) -> None:
    """NO-GO at the limit; below it a NO-GO round is a transient WARNING; else the worst."""
    outcome = conclude_watch(rounds_of(*verdicts), WatchPlan(600, 60, limit))
    assert (outcome.verdict, outcome.exit_code, outcome.reason) == (
        final,
        EXIT_CODES[final],
        reason,
    )


def test_an_interrupted_watch_is_no_go_whatever_the_rounds() -> None:
    """Ctrl-C after healthy rounds is still NO-GO: the watch did not finish."""
    outcome = conclude_watch(rounds_of(GO, GO), WatchPlan(600, 60, 1), interrupted=True)
    assert (outcome.verdict, outcome.reason) == (NOGO, INTERRUPTED_REASON)


def test_stop_needs_the_limit_in_a_row() -> None:
    """Two NO-GO rounds apart do not reach a limit of 2; two in a row do."""
    plan = WatchPlan(600, 60, 2)
    assert not should_stop(rounds_of(NOGO, GO, NOGO), plan)
    assert should_stop(rounds_of(GO, NOGO, NOGO), plan)


def test_a_malformed_round_report_is_a_no_go_round() -> None:
    """A report without a verdict cannot pass for a healthy round."""
    item = round_from_report(3, {"evaluated_at": "t"})
    assert (item.verdict, item.reason) == (NOGO, "round_error")
    assert "malformed" in item.failing[0].message


def test_child_runs_the_same_command_without_the_watch_and_the_report() -> None:
    """Watch options and --gate-report (both spellings) are removed; ini twins are blanked."""
    args = [
        "gate_checks",
        "-m",
        "smoke",
        "--gate-watch",
        "900",
        "--gate-interval=60",
        "--gate-failure-limit",
        "2",
        "--gate-report",
        "r.json",
        "--serving-url",
        "http://x",
    ]
    kept = child_args(args)
    assert kept[:5] == ["gate_checks", "-m", "smoke", "--serving-url", "http://x"]
    assert "-o" in kept and "gate_watch=" in kept and "gate_report=" in kept
