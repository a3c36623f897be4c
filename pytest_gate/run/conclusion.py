"""Ending a gate run: decide, push, write the report and the GitHub summary, show the light."""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from pytest_gate import __version__
from pytest_gate.config.options import GateOptions, dry_run_requested, report_path
from pytest_gate.config.waivers import Waived
from pytest_gate.config.waivers import apply as waivers_apply
from pytest_gate.core.decision import (
    CheckResult,
    Decision,
    Outcome,
    SessionState,
    Severity,
    decide,
)
from pytest_gate.core.readfile import FileReadError, read_limited
from pytest_gate.core.urls import redact, scrub_userinfo
from pytest_gate.output.report import (
    CheckRecord,
    ReportWriteError,
    build_report,
    iso_utc,
    write_report,
)
from pytest_gate.output.terminal import (
    check_line,
    detail_lines,
    github_summary,
    shared_cause_lines,
    shared_causes,
    traffic_light,
)
from pytest_gate.run.publish import (
    append_step_summary,
    push_final,
    pushed_checks,
    rewrite_report,
)
from pytest_gate.run.session import GateSession

EXIT_STATES = {
    pytest.ExitCode.INTERRUPTED: SessionState.INTERRUPTED,
    pytest.ExitCode.INTERNAL_ERROR: SessionState.INTERNAL_ERROR,
    pytest.ExitCode.USAGE_ERROR: SessionState.USAGE_ERROR,
}
HASHED_MAX_BYTES = 512 * 1024 * 1024
"""The largest config or recording whose sha256 the report gives (the readers refuse larger)."""
STOPPED_EARLY = "the run stopped before every check ran ({why})"
DRY_RUN_LINE = (
    "GATE DRY RUN (--gate-dry-run): the gate would have said {verdict} (exit {code}); exiting 0"
)


def file_sha256(path: Path) -> str | None:
    """SHA-256 of a file, or ``None`` when it cannot be read (or is no regular file, or huge)."""
    try:
        return hashlib.sha256(read_limited(path, HASHED_MAX_BYTES, str(path))).hexdigest()
    except FileReadError:
        return None


def source_location(options: GateOptions) -> tuple[str, str | None]:
    """The metric source's kind and where it is (no credentials, no file reads)."""
    if options.prometheus_url:
        return "prometheus", redact(options.prometheus_url)
    if options.metrics_urls:
        return "scrape", ", ".join(redact(u) for u in options.metrics_urls)
    if options.replay:
        return "replay", str(options.replay)
    return "none", None


def describe_source(options: GateOptions) -> dict[str, Any]:
    """The report's ``source`` object, derived from the options (no credentials)."""
    kind, url = source_location(options)
    info: dict[str, Any] = {"kind": kind, "url": url}
    if kind == "scrape":
        info["counters"] = "lifetime (since each process started), not windowed"
    elif kind == "replay" and options.replay is not None:
        info["sha256"] = file_sha256(options.replay)
    info["gpu_source"] = options.gpu_source
    if options.record:
        info["recording"] = {"path": str(options.record), "sha256": file_sha256(options.record)}
    return info


def config_sha256(state: GateSession) -> str | None:
    """The loaded config's hash (computed once, at load), else the file's, else ``None``."""
    if state.gate_config is not None:
        return state.gate_config.sha256
    return file_sha256(state.config_path) if state.config_path else None


def selection_complete(config: pytest.Config) -> bool:
    """False when only part of the gate was selected (``-k``, ``-m``, ``--deselect``, node ids)."""
    option = config.option
    partial = (
        bool(getattr(option, "keyword", ""))
        or bool(getattr(option, "markexpr", ""))
        or bool(getattr(option, "deselect", None))
        or bool(getattr(option, "lf", False))
        or any("::" in str(arg) for arg in config.args)
    )
    return not partial


def session_states(
    session: pytest.Session, state: GateSession, exitstatus: int
) -> list[SessionState]:
    """Every session-level state of this run, from hooks, exit status and check records."""
    states = list(state.states)
    mapped = EXIT_STATES.get(pytest.ExitCode(exitstatus)) if exitstatus in (2, 3, 4) else None
    if mapped is not None and mapped not in states:
        states.append(mapped)
    if session.shouldstop or session.shouldfail:
        why = str(session.shouldstop or session.shouldfail)
        state.fail(SessionState.INTERRUPTED, STOPPED_EARLY.format(why=why))
        states.append(SessionState.INTERRUPTED)
    checks = state.tracker.checks()
    if any(c.timed_out and c.severity is Severity.CRITICAL for c in checks):
        states.append(SessionState.TIMEOUT)
    if any(c.observation is not None and c.observation.deadline_exceeded for c in checks):
        states.append(SessionState.DEADLINE)
    return states


def conclude(session: pytest.Session, state: GateSession, exitstatus: int) -> None:
    """Decide every session state (an unwritable report included), then push the final verdict,
    then write the GitHub summary; store the exit code."""
    config = session.config
    options = state.options
    checks = state.tracker.checks()
    complete = selection_complete(config)
    states = session_states(session, state, exitstatus)
    dry_run = options.dry_run if options is not None else dry_run_requested(config)
    waived = apply_waivers(state, checks)

    def decide_now() -> Decision:
        return decide(
            [CheckResult(c.id, c.severity, c.outcome, c.waiver is not None) for c in checks],
            session_states=states,
            strict=bool(options and options.strict),
            require_complete=bool(options and options.require_complete),
            complete=complete,
        )

    def report_of(decision: Decision) -> dict[str, Any]:
        return assemble(state, decision, checks, complete=complete, dry_run=dry_run, waived=waived)

    decision = decide_now()
    report = report_of(decision)
    target = options.report if options is not None else report_path(config)
    written = False
    if target is not None:
        try:
            write_report(target, report)
            written = True
        except ReportWriteError as exc:
            state.fail(SessionState.REPORT_ERROR, str(exc))
            states.append(SessionState.REPORT_ERROR)
            decision = decide_now()
            report = report_of(decision)
    # The decision is final here: what is pushed and summarised is what the run exits with.
    if not push_final(state, decision.verdict, pushed_checks(checks)):
        report = report_of(decision)  # the report names the failed push, as before
        if written and target is not None:
            rewrite_report(state, target, report)
    summary = github_summary(decision, checks, report["evaluated_at"], dry_run=dry_run)
    append_step_summary(state, summary)
    state.decision = decision
    state.report_dict = report
    state.exit_code = 0 if dry_run else decision.exit_code


def assemble(
    state: GateSession,
    decision: Decision,
    checks: Sequence[CheckRecord],
    *,
    complete: bool,
    dry_run: bool,
    waived: Waived,
) -> dict[str, Any]:
    """The report of a one-shot run: every part handed to :func:`build_report`."""
    options = state.options
    return build_report(
        decision=decision,
        checks=checks,
        complete=complete,
        evaluated_at=options.at if options else time.time(),
        source=describe_source(options) if options else {"kind": "none", "url": None},
        config={
            "path": str(state.config_path) if state.config_path else None,
            "sha256": config_sha256(state),
        },
        selection={
            "deselected": list(state.deselected),
            "not_applicable": [c.id for c in checks if c.outcome is Outcome.NOT_APPLICABLE],
        },
        plugin_version=__version__,
        duration_s=time.monotonic() - state.started,
        messages=state.messages,
        dry_run=dry_run,
        waivers=[use.to_dict() for use in waived.uses],
    )


def apply_waivers(state: GateSession, checks: list[CheckRecord]) -> Waived:
    """Mark every check a waiver covers; name each expired waiver in the session messages."""
    at = state.options.at if state.options is not None else time.time()
    waivers = state.gate_config.waivers if state.gate_config is not None else ()
    waived = waivers_apply(waivers, [(c.id, c.outcome) for c in checks], at)
    for record in checks:
        record.waiver = waived.by_check.get(record.id)
    for waiver in waived.expired():
        message = waiver.expired_message()
        if message not in state.messages:
            state.messages.append(message)
    return waived


def header_lines(state: GateSession) -> list[str]:
    """``gate: config ... | source ... | evaluated at ...``."""
    options = state.options
    if options is None:
        return ["gate: options invalid, see below"]
    kind, url = source_location(options)
    where = url or "no metric source"
    return [
        f"gate: config {state.config_path} | source {kind} {where} | "
        f"gpu {options.gpu_source} | evaluated at {iso_utc(options.at)} | "
        f"deadline {options.deadline_seconds:g}s"
    ]


def show(reporter: pytest.TerminalReporter, config: pytest.Config, state: GateSession) -> None:
    """Write per-check lines (unless ``-q``), session messages and the traffic light."""
    if state.decision is None:
        return
    checks = state.tracker.checks()
    verbosity = config.get_verbosity()
    causes = shared_causes(checks) if verbosity >= 0 else []
    if verbosity >= 0:
        reporter.write_sep("=", "deployment gate")
        # Cut to a terminal's width; a CI log or a pipe keeps whole lines (nothing wraps there).
        writer = config.get_terminal_writer()
        width = writer.fullwidth - 1 if verbosity <= 0 and sys.stdout.isatty() else None
        for record in checks:
            text, colour = check_line(record, width, causes)
            reporter.write_line(text, **({colour: True} if colour else {}))
            if verbosity > 0:
                for line in detail_lines(record):
                    reporter.write_line(line)
        for line in shared_cause_lines(causes, checks):
            reporter.write_line(f"gate: {line}", red=True)
    for message in state.messages:
        reporter.write_line(scrub_userinfo(f"gate: {message}"), red=True)
    text, colour = traffic_light(state.decision, checks)
    reporter.write_line(text, **{colour: True, "bold": True})
    if state.report_dict is not None and state.report_dict.get("dry_run"):
        verdict, code = state.decision.verdict.value, state.decision.exit_code
        reporter.write_line(DRY_RUN_LINE.format(verdict=verdict, code=code), bold=True)
    state.light_shown = True


def show_light_if_missing(config: pytest.Config, state: GateSession) -> None:
    """pytest skips the terminal summary on an internal error: show the light anyway."""
    if state.light_shown or state.decision is None:
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        show(reporter, config, state)
