"""One gate run: entering gate mode and the hooks bound to its :class:`GateSession`.

Loaded only when gate mode is entered (:func:`start`), so pytest runs that are not gates never
import the gate's machinery.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from pytest_gate.checks.observe import Findings
from pytest_gate.config.options import OptionError, resolve_options
from pytest_gate.core.decision import SessionState
from pytest_gate.run import GATE_RUN_PLUGIN, conclusion, fixtures, lifecycle
from pytest_gate.run.outcomes import (
    CHECK_META,
    FINDINGS,
    REPORT_ATTRIBUTE,
    MarkerConflictError,
    from_wire,
    phase_info,
    phase_of,
    to_wire,
)
from pytest_gate.run.session import GATE_SESSION, GateSession

WORKER_TIME_KEY = "gate_at"
WORKER_TIME_GIVEN_KEY = "gate_at_given"


def start(config: pytest.Config, started: float | None, gate_dir: Path | None) -> None:
    """Enter gate mode: resolve the options, find and load the config, register the run's hooks.

    ``gate_dir`` is the gate-checks directory that switched gate mode on, if one did.
    """
    state = GateSession(started=time.monotonic() if started is None else started)
    config.stash[GATE_SESSION] = state
    workerinput = getattr(config, "workerinput", None)
    state.worker = workerinput is not None
    try:
        state.options = resolve_options(config)
    except OptionError as exc:
        state.fail(SessionState.USAGE_ERROR, str(exc))
    if state.options is not None and workerinput and WORKER_TIME_KEY in workerinput:
        state.options = lifecycle.with_time(
            state.options,
            float(workerinput[WORKER_TIME_KEY]),
            given=bool(workerinput.get(WORKER_TIME_GIVEN_KEY)),
        )
    args = [str(a) for a in config.args]
    if gate_dir is not None:
        args.insert(0, str(gate_dir))
    state.config_path = lifecycle.discover_config_path(state.options, args, config.rootpath)
    lifecycle.enter_gate_mode(config, state)
    config.pluginmanager.register(fixtures, "gate-fixtures")
    config.pluginmanager.register(GateRun(config, state), GATE_RUN_PLUGIN)


class GateRun:
    """The hooks of one run, bound to its :class:`GateSession`."""

    def __init__(self, config: pytest.Config, state: GateSession) -> None:
        self.config = config
        self.state = state

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """xdist: give every worker the controller's evaluation instant T."""
        if self.state.options is not None:
            node.workerinput[WORKER_TIME_KEY] = self.state.options.at
            node.workerinput[WORKER_TIME_GIVEN_KEY] = self.state.options.at_given

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session: pytest.Session) -> None:
        """Send the query wave now, so the network time overlaps collection (not on xdist's
        controller, which runs no checks, nor for a watch, whose rounds run them)."""
        options = self.state.options
        controller = (
            bool(getattr(self.config.option, "numprocesses", None)) and not self.state.worker
        )
        watching = options is not None and options.watches
        if not controller and not watching:
            fixtures.start_metrics_early(self.config)

    def pytest_unconfigure(self) -> None:
        """Close a snapshot opened early that no check used."""
        fixtures.close_early_metrics(self.config)

    def pytest_report_header(self) -> list[str] | None:
        """The gate header: config path, source and evaluation instant."""
        return conclusion.header_lines(self.state)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Attach severity and title to every check (unmarked counts as critical)."""
        for item in items:
            item.stash[CHECK_META] = lifecycle.item_meta(item)
        lifecycle.refuse_blanket_waivers(self.state, [item.nodeid for item in items])

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        """Remember deselected checks for the report's ``selection``."""
        self.state.deselected.extend(item.nodeid for item in items)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """Refuse conflicting markers; checks the config disables end as not_applicable."""
        conflict = lifecycle.marker_conflict(item)
        if conflict:
            raise MarkerConflictError(conflict)
        reason = lifecycle.not_applicable_reason(self.state, item)
        if reason:
            item.stash.setdefault(FINDINGS, Findings()).not_applicable = reason
            pytest.skip(reason)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        """Run no check when the options or the config are invalid: the run is NO-GO already."""
        fatal = {SessionState.USAGE_ERROR, SessionState.CONFIG_ERROR}
        if fatal & set(self.state.states):
            return True
        watches = self.state.options is not None and self.state.options.watches
        if not self.state.worker and watches:
            from pytest_gate.run import watching  # only a watch needs it (start-up cost)

            plan = watching.plan_of(self.state)
            if plan is not None and not self.state.states:  # a collection error: no rounds
                watching.run(self.config, self.state, plan)
            return True
        return None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Classify each phase where its exception is known; the result travels with the report."""
        report = yield
        meta = item.stash.get(CHECK_META, None)
        if meta is not None:
            findings = item.stash.get(FINDINGS, None)
            setattr(report, REPORT_ATTRIBUTE, phase_info(report, call.excinfo, meta, findings))
        return report

    @pytest.hookimpl(wrapper=True)
    def pytest_report_to_serializable(
        self, report: pytest.TestReport | pytest.CollectReport
    ) -> Generator[None, dict[str, Any] | None, dict[str, Any] | None]:
        """The check's record crosses the process boundary (xdist) as JSON, once."""
        data = yield
        if data is not None:
            to_wire(report, data)
        return data

    @pytest.hookimpl(wrapper=True)
    def pytest_report_from_serializable(
        self, data: dict[str, Any]
    ) -> Generator[None, pytest.TestReport | pytest.CollectReport | None, Any]:
        """... and becomes the typed record again where it arrives."""
        report = yield
        if report is not None:
            from_wire(report)
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Collect every phase of every check (on xdist's controller too)."""
        phase = phase_of(report)
        if phase is not None:
            self.state.tracker.add(phase, report.nodeid, float(report.duration))
            if phase.session_state is not None:
                self.state.fail(phase.session_state, "")

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A collection error makes the gate NO-GO."""
        if report.failed:
            self.state.fail(
                SessionState.COLLECTION_ERROR,
                f"collection error in {report.nodeid or 'the session'}",
            )

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_sessionfinish(
        self, session: pytest.Session, exitstatus: int
    ) -> Generator[None, None, None]:
        """Decide and write the report first; set the exit status last, over any other plugin."""
        if self.state.worker:
            return (yield)
        if self.state.watch_run is not None:
            from pytest_gate.run import watching

            watching.conclude(self.state, self.state.watch_run)
        else:
            conclusion.conclude(session, self.state, int(exitstatus))
        try:
            return (yield)
        finally:
            conclusion.show_light_if_missing(self.config, self.state)
            if self.state.exit_code is not None:
                session.exitstatus = self.state.exit_code

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """Per-check lines and the traffic light."""
        if not self.state.worker:
            if self.state.watch_run is not None:
                from pytest_gate.run import watching

                watching.show(terminalreporter, self.state, self.state.watch_run)
            else:
                conclusion.show(terminalreporter, self.config, self.state)

    @pytest.hookimpl(optionalhook=True)
    def pytest_json_modifyreport(self, json_report: dict[str, Any]) -> None:
        """pytest-json-report: add the gate section and the gate's exit code beside pytest's."""
        if self.state.report_dict is not None:
            json_report["gate"] = self.state.report_dict
            json_report["gate_exitcode"] = self.state.exit_code
