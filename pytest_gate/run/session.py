"""The per-run state of the gate, kept in ``config.stash`` (never in module globals)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_gate.config.options import GateOptions
from pytest_gate.core.decision import Decision, SessionState
from pytest_gate.run.outcomes import CheckTracker

if TYPE_CHECKING:
    from pytest_gate.config.profiles import AnyGateConfig
    from pytest_gate.core.query import Query
    from pytest_gate.sources.snapshot import MetricSnapshot
    from pytest_gate.watch.rounds import WatchRun


@dataclass
class GateSession:
    """Everything the plugin remembers between hooks of one run."""

    started: float = field(default_factory=time.monotonic)
    options: GateOptions | None = None
    gate_mode: bool = False
    worker: bool = False
    config_path: Path | None = None
    gate_config: AnyGateConfig | None = None
    states: list[SessionState] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    tracker: CheckTracker = field(default_factory=CheckTracker)
    deselected: list[str] = field(default_factory=list)
    report_dict: dict[str, Any] | None = None
    watch_run: WatchRun | None = None
    early_metrics: tuple[MetricSnapshot | None, list[Query], str] | None = None
    """The snapshot opened before collection, its planned queries and any problem opening it."""
    exit_code: int | None = None
    decision: Decision | None = None
    light_shown: bool = False

    def fail(self, state: SessionState, message: str) -> None:
        """Record a session-level state that makes the run NO-GO, with its message."""
        if state not in self.states:
            self.states.append(state)
        if message and message not in self.messages:
            self.messages.append(message)


GATE_SESSION = pytest.StashKey[GateSession]()
