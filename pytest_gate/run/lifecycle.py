"""Setting a gate run up: gate mode, the config, the evaluation instant, per-check metadata."""

from __future__ import annotations

import dataclasses
import signal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_gate.config.gatedir import CONFIG_FILENAME, DEFAULT_GATE_DIRNAME, gate_dir_of
from pytest_gate.config.options import GateOptions
from pytest_gate.core.decision import SessionState, Severity
from pytest_gate.run.outcomes import CheckMeta
from pytest_gate.run.session import GateSession

if TYPE_CHECKING:
    from pytest_gate.config.profiles import AnyGateConfig

BOTH_MARKERS = "{nodeid} is marked both critical and warning; keep exactly one severity marker"
CONFIG_NOT_FOUND = (
    "gate config {path} does not exist; pass --gate-config PATH with an existing file"
)
RECORD_WITH_XDIST = "--gate-record cannot be combined with xdist workers (-n); record without -n"
CHECK_PREFIX = "test_"
DEFAULT_REPORTCHARS = "fE"
"""pytest's default ``-r``: replaced in gate mode by the gate section."""


def enter_gate_mode(config: pytest.Config, state: GateSession) -> None:
    """Switch gate mode on: fail-safe timeout method, terse tracebacks, config, T of a replay."""
    state.gate_mode = True
    if hasattr(signal, "SIGALRM") and hasattr(config.option, "timeout_method"):
        # pytest-timeout's thread method calls os._exit() and would lose the verdict and report.
        config.option.timeout_method = "signal"
    if getattr(config.option, "tbstyle", None) == "auto":
        # The gate section says each check's outcome and cause in one line; pytest's failure
        # section and short summary would repeat every message (--tb/-r given by hand still work).
        config.option.tbstyle = "no"
    if getattr(config.option, "reportchars", None) == DEFAULT_REPORTCHARS:
        config.option.reportchars = ""
    options = state.options
    if options is None:
        return
    if options.record and getattr(config.option, "numprocesses", None) and not state.worker:
        state.fail(SessionState.USAGE_ERROR, RECORD_WITH_XDIST)
    if options.replay and not options.at_given and not state.worker:
        state.options = time_from_recording(state, options)
    state.gate_config = load_gate_config(state)


def with_time(options: GateOptions, at: float, *, given: bool = True) -> GateOptions:
    """The same options at another evaluation instant (xdist workers take the controller's T).

    ``given`` says whether T counts as chosen by the user (which alone switches gate mode on).
    """
    return dataclasses.replace(options, at=at, at_given=given)


def time_from_recording(state: GateSession, options: GateOptions) -> GateOptions:
    """Replaying without ``--gate-time`` evaluates at the recording's own T."""
    from pytest_gate.sources.replay import ReplayError, recorded_time

    assert options.replay is not None
    try:
        return with_time(options, recorded_time(options.replay))
    except ReplayError as exc:
        state.fail(SessionState.USAGE_ERROR, str(exc))
        return options


def load_gate_config(state: GateSession) -> AnyGateConfig | None:
    """Load the gate config; an explicit but missing or invalid file is a config error."""
    path = state.config_path
    if path is None:
        return None
    explicit = state.options is not None and state.options.config is not None
    if not path.exists() and explicit:
        state.fail(SessionState.CONFIG_ERROR, CONFIG_NOT_FOUND.format(path=path))
        return None
    if not path.is_file() and not explicit:
        return None
    from pytest_gate.config.profiles import ConfigError, load_any_config
    from pytest_gate.config.waivers import check_horizon

    try:
        loaded = load_any_config(path)
        if state.options is not None:
            check_horizon(loaded.waivers, state.options.at, str(path))
        return loaded
    except ConfigError as exc:
        state.fail(SessionState.CONFIG_ERROR, str(exc))
        return None


def refuse_blanket_waivers(state: GateSession, nodeids: list[str]) -> None:
    """A waiver matching every collected check (selected or deselected) is a config error."""
    if state.gate_config is None or not state.gate_config.waivers:
        return
    from pytest_gate.config.waivers import blanket_problem

    every = [*nodeids, *state.deselected]
    problem = blanket_problem(state.gate_config.waivers, every, str(state.config_path))
    if problem is not None:
        state.fail(SessionState.CONFIG_ERROR, problem)


def check_name(item: pytest.Item) -> str:
    """The config key of a check: its function name without ``test_`` and parameters."""
    name = str(getattr(item, "originalname", item.name))
    return name.removeprefix(CHECK_PREFIX)


def item_meta(item: pytest.Item) -> CheckMeta:
    """Severity (unmarked counts as critical) and title (first docstring line, plus param id)."""
    severity = Severity.WARNING
    if item.get_closest_marker(Severity.CRITICAL.value) or not item.get_closest_marker(
        Severity.WARNING.value
    ):
        severity = Severity.CRITICAL
    doc = getattr(getattr(item, "obj", None), "__doc__", None) or ""
    title = doc.strip().splitlines()[0].strip() if doc.strip() else item.name
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        title = f"{title} [{callspec.id}]"
    return CheckMeta(title=title, severity=severity)


def marker_conflict(item: pytest.Item) -> str | None:
    """The error message when a check carries both severity markers."""
    names = {m.name for m in item.iter_markers()}
    if {s.value for s in Severity} <= names:
        return BOTH_MARKERS.format(nodeid=item.nodeid)
    return None


def not_applicable_reason(state: GateSession, item: pytest.Item) -> str | None:
    """Why the config makes this check not applicable, or ``None``."""
    if state.gate_config is None:
        return None
    return state.gate_config.check_enablement(check_name(item))


def discover_config_path(options: GateOptions | None, args: list[str], rootpath: Path) -> Path:
    """``--gate-config``, else gate.toml in the first gate-checks directory given, else the root's."""
    if options is not None and options.config is not None:
        return options.config
    for arg in args:
        directory = gate_dir_of(Path(arg.split("::")[0]), rootpath)
        if directory is not None:
            return directory / CONFIG_FILENAME
    return rootpath / DEFAULT_GATE_DIRNAME / CONFIG_FILENAME
