"""``--gate-watch`` inside a pytest session: run the rounds, print them, write the final report.

The parent session collects the checks (so selection and collection errors are known) but runs
none itself: :func:`run` replaces its test loop with the rounds of :mod:`pytest_gate.watch.rounds`,
and :func:`conclude` replaces the one-shot conclusion.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from pytest_gate.core.decision import COLOURS, Decision, SessionState
from pytest_gate.output.report import ReportWriteError, over_rounds, write_report
from pytest_gate.run.publish import PushedCheck, append_step_summary, push_final, rewrite_report
from pytest_gate.run.session import GateSession
from pytest_gate.watch.policy import (
    WatchOutcome,
    WatchPlan,
    conclude_watch,
    final_line,
    github_rounds,
    round_line,
    unwritten,
)
from pytest_gate.watch.rounds import WatchRun, watch


def plan_of(state: GateSession) -> WatchPlan | None:
    """The watch plan of this run, or ``None`` when it is a one-shot gate run."""
    options = state.options
    if options is None or options.watch_seconds is None:
        return None
    return WatchPlan(options.watch_seconds, options.interval_seconds, options.failure_limit)


def run(config: pytest.Config, state: GateSession, plan: WatchPlan) -> WatchRun:
    """Every round, one line each as it ends; the run is kept in ``state`` for the conclusion."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    options = state.options
    assert options is not None  # a plan exists only with options

    def on_round(current: WatchRun) -> None:
        state.watch_run = current
        item = current.rounds[-1]
        if reporter is not None:
            reporter.write_line(
                round_line(item, plan, current.rounds), **{COLOURS[item.verdict]: True}
            )
        _write(state, current)

    if reporter is not None:
        reporter.write_sep(
            "=",
            f"gate watch: {plan.rounds} rounds every {plan.interval_seconds:g}s for "
            f"{plan.watch_seconds:g}s, stop at {plan.failure_limit} consecutive NO-GO",
        )
    result = watch(
        plan,
        config.invocation_params.args,
        config.invocation_params.dir,
        options.deadline_seconds,
        on_round,
    )
    state.watch_run = result
    return result


def combined_report(
    state: GateSession,
    current: WatchRun,
    *,
    partial: bool,
    outcome: WatchOutcome | None = None,
) -> dict[str, Any]:
    """The latest round's report with the watch's verdict on top and every round beside it."""
    if outcome is None:
        outcome = conclude_watch(current.rounds, current.plan, interrupted=current.interrupted)
    return over_rounds(
        current.last_report or {},
        decision=Decision(outcome.verdict, outcome.exit_code, outcome.reason),
        duration_s=time.monotonic() - state.started,
        dry_run=state.options is not None and state.options.dry_run,
        messages=state.messages if not partial else None,
        watch={
            "watch_seconds": current.plan.watch_seconds,
            "interval_seconds": current.plan.interval_seconds,
            "failure_limit": current.plan.failure_limit,
            "rounds_planned": current.plan.rounds,
            "finished": not partial,
            "stopped_early": outcome.stopped_early,
            "interrupted": current.interrupted,
            "rounds": [item.to_dict() for item in current.rounds],
        },
    )


def _write(state: GateSession, current: WatchRun) -> None:
    """A round's report so far (a failure here is retried by the next round and the final one)."""
    target = state.options.report if state.options is not None else None
    if target is not None:
        try:
            write_report(target, combined_report(state, current, partial=True))
        except ReportWriteError:
            return


def conclude(state: GateSession, current: WatchRun) -> None:
    """Decide the watch's final verdict (an unwritable report included), then push it, then
    write the GitHub summary of the rounds; store the exit code."""
    outcome = conclude_watch(current.rounds, current.plan, interrupted=current.interrupted)
    report = combined_report(state, current, partial=False, outcome=outcome)
    target = state.options.report if state.options is not None else None
    written = False
    if target is not None:
        try:
            write_report(target, report)
            written = True
        except ReportWriteError as exc:
            state.fail(SessionState.REPORT_ERROR, str(exc))
            outcome = unwritten(outcome)
            report = combined_report(state, current, partial=False, outcome=outcome)
    if not push_final(state, outcome.verdict, pushed_checks_of(report)):
        report = combined_report(state, current, partial=False, outcome=outcome)
        if written and target is not None:
            rewrite_report(state, target, report)  # the report names the failed push
    state.watch_outcome = outcome
    state.report_dict = report
    dry_run = state.options is not None and state.options.dry_run
    state.exit_code = 0 if dry_run else outcome.exit_code  # a dry run reports, never blocks
    append_step_summary(state, github_rounds(outcome, current.rounds, current.plan))


def pushed_checks_of(report: dict[str, Any]) -> list[PushedCheck]:
    """What the push says of each check of the latest round (from its report)."""
    return [
        (str(c["id"]), str(c["severity"]), str(c["outcome"]), bool(c.get("waived")))
        for c in report.get("checks", [])
    ]


def show(reporter: pytest.TerminalReporter, state: GateSession, current: WatchRun) -> None:
    """Session messages and the watch's final line."""
    outcome = state.watch_outcome or conclude_watch(
        current.rounds, current.plan, interrupted=current.interrupted
    )
    for message in state.messages:
        reporter.write_line(f"gate: {message}", red=True)
    reporter.write_line(
        final_line(outcome, current.rounds, current.plan),
        **{COLOURS[outcome.verdict]: True, "bold": True},
    )
    state.light_shown = True
