"""The per-run state of the gate, kept in ``config.stash`` (never in module globals)."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from pytest_gate.decision import Decision, SessionState
from pytest_gate.options import GateOptions
from pytest_gate.outcomes import CheckTracker

if TYPE_CHECKING:
    from pytest_gate.config import GateConfig
    from pytest_gate.watchrun import WatchRun

GATE_CHECKS_DIRNAME = "gate_checks"
CONFIG_FILENAME = "gate.toml"


@dataclass
class GateSession:
    """Everything the plugin remembers between hooks of one run."""

    started: float = field(default_factory=time.monotonic)
    options: GateOptions | None = None
    gate_mode: bool = False
    worker: bool = False
    config_path: Path | None = None
    gate_config: GateConfig | None = None
    states: list[SessionState] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    tracker: CheckTracker = field(default_factory=CheckTracker)
    deselected: list[str] = field(default_factory=list)
    report_dict: dict[str, Any] | None = None
    watch_run: WatchRun | None = None
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


def redact_url(url: str) -> str:
    """Remove credentials (``user:pass@``) and the query string from a URL for reports and logs."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def file_sha256(path: Path) -> str | None:
    """SHA-256 of a file, or ``None`` when it cannot be read."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def source_location(options: GateOptions) -> tuple[str, str | None]:
    """The metric source's kind and where it is (no credentials, no file reads)."""
    if options.prometheus_url:
        return "prometheus", redact_url(options.prometheus_url)
    if options.metrics_urls:
        return "scrape", ", ".join(redact_url(u) for u in options.metrics_urls)
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


def discover_config_path(options: GateOptions | None, args: list[str], rootpath: Path) -> Path:
    """``--gate-config``, else gate.toml in the first gate-checks directory given, else the root's."""
    if options is not None and options.config is not None:
        return options.config
    for arg in args:
        directory = gate_dir_of(Path(arg.split("::")[0]))
        if directory is not None:
            return directory / CONFIG_FILENAME
    return rootpath / GATE_CHECKS_DIRNAME / CONFIG_FILENAME


def gate_dir_of(path: Path) -> Path | None:
    """The gate-checks directory ``path`` is in (or is), if any."""
    candidates = [path, *path.parents] if path.is_dir() else list(path.parents)
    for candidate in candidates:
        if candidate.name == GATE_CHECKS_DIRNAME or (candidate / CONFIG_FILENAME).is_file():
            return candidate
    return None
