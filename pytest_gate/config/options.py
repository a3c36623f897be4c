"""Command-line options, their ini twins and environment variables, resolved in one place.

One table, :data:`~pytest_gate.config.optionspec.OPTION_SPECS`, drives everything: each spec
knows its flag, the :class:`GateOptions` field it fills, its ini twin, its environment variable,
its default and its parser. Precedence is CLI > environment > ini > default, resolved by :func:`resolve_options`;
checks that span several options (one metric source, a watch's timing, the canary pair) follow.
Bad values raise :class:`OptionError` with a "<problem>; <fix>" message.

Loaded on entering gate mode; registering the options (every pytest run) needs only
:mod:`pytest_gate.config.registration`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_gate.config.optionspec import (
    BAD_BOOL,
    BAD_FAILURE_LIMIT,
    BAD_INSTANT,
    BAD_SECONDS,
    BAD_SPAN,
    BAD_TIME,
    DEFAULT_DEADLINE_SECONDS,
    DEFAULT_ENVIRONMENT,
    DEFAULT_FAILURE_LIMIT,
    DEFAULT_INTERVAL_SECONDS,
    EMPTY_PATH,
    OPTION_SPECS,
    SPEC_BY_FIELD,
    OptionError,
    OptionSpec,
    parse_time,
)
from pytest_gate.config.sourcechoice import chosen_sources, too_many_sources

if TYPE_CHECKING:
    from pytest_gate.core.query import Matcher

__all__ = [
    "BAD_BOOL",
    "BAD_FAILURE_LIMIT",
    "BAD_INSTANT",
    "BAD_SECONDS",
    "BAD_SPAN",
    "BAD_TIME",
    "DEFAULT_DEADLINE_SECONDS",
    "DEFAULT_ENVIRONMENT",
    "DEFAULT_FAILURE_LIMIT",
    "DEFAULT_INTERVAL_SECONDS",
    "EMPTY_PATH",
    "INTERVAL_LONGER",
    "ONE_SELECTION",
    "OPTION_SPECS",
    "SAME_SELECTION",
    "WATCH_CONFLICT",
    "GateOptions",
    "OptionError",
    "OptionSpec",
    "dry_run_requested",
    "parse_time",
    "report_path",
    "resolve_options",
]

WATCH_CONFLICT = (
    "--gate-watch evaluates at a fresh instant every round, so {option} cannot be used with it; "
    "drop {option}"
)
INTERVAL_LONGER = (
    "--gate-interval {interval:g} is longer than --gate-watch {watch:g}: the watch would have one "
    "round; make the interval shorter than the watch"
)
ONE_SELECTION = (
    "{given} is given without {missing}; pass both, e.g. --gate-canary 'revision=\"v2\"' "
    "--gate-baseline 'revision=\"v1\"'"
)
SAME_SELECTION = (
    "--gate-canary and --gate-baseline both select {text!r}; give the baseline its own labels, "
    "e.g. 'revision=\"v1\"'"
)


@dataclass(frozen=True)
class GateOptions:
    """Every gate option, resolved (CLI > env > ini > default)."""

    prometheus_url: str | None
    metrics_urls: tuple[str, ...]
    replay: Path | None
    record: Path | None
    at: float
    at_given: bool
    config: Path | None
    report: Path | None
    strict: bool
    require_complete: bool
    dry_run: bool
    gpu_source: str
    serving_url: str | None
    canary: tuple[Matcher, ...]
    baseline: tuple[Matcher, ...]
    deadline_seconds: float
    pushgateway: str | None
    environment: str
    watch_seconds: float | None = None
    interval_seconds: float = DEFAULT_INTERVAL_SECONDS
    failure_limit: int = DEFAULT_FAILURE_LIMIT

    @property
    def watches(self) -> bool:
        """Whether this run is a ``--gate-watch`` (its rounds run the checks, not this process)."""
        return self.watch_seconds is not None


def _raw(config: pytest.Config, spec: OptionSpec, env: Mapping[str, str]) -> object:
    cli = config.getoption(spec.dest)
    if cli is not None:
        return cli
    if spec.env and env.get(spec.env):
        return env[spec.env]
    if spec.ini:
        ini = config.getini(spec.ini)
        if ini not in (None, "", []):
            return ini
    return spec.default


def _parsed(config: pytest.Config, field: str, env: Mapping[str, str] | None) -> Any:
    spec = SPEC_BY_FIELD[field]
    return spec.parse(spec, _raw(config, spec, os.environ if env is None else env))


def report_path(config: pytest.Config, env: Mapping[str, str] | None = None) -> Path | None:
    """Only ``--gate-report`` (CLI or ini), for writing a report when other options are invalid.

    An unusable value (an empty path) gives no report; the usage error says why.
    """
    try:
        path: Path | None = _parsed(config, "report", env)
    except OptionError:
        return None
    return path


def dry_run_requested(config: pytest.Config, env: Mapping[str, str] | None = None) -> bool:
    """Only ``--gate-dry-run`` (CLI or ini), for a dry run whose other options are invalid.

    An unreadable value counts as no dry run: the run then fails closed as usual.
    """
    try:
        return bool(_parsed(config, "dry_run", env))
    except OptionError:
        return False


def _check_watch(values: Mapping[str, Any]) -> None:
    """A watch evaluates at fresh instants: no fixed T, replay or recording; interval <= watch."""
    watch = values["watch_seconds"]
    if watch is None:
        return
    for option, field in (
        ("--gate-time", "at"),
        ("--gate-replay", "replay"),
        ("--gate-record", "record"),
    ):
        if values[field] is not None:
            raise OptionError(WATCH_CONFLICT.format(option=option))
    if values["interval_seconds"] > watch:
        raise OptionError(INTERVAL_LONGER.format(interval=values["interval_seconds"], watch=watch))


def _check_selections(values: Mapping[str, Any]) -> None:
    """Both canary selections, or neither; and they differ."""
    canary, baseline = values["canary"], values["baseline"]
    if canary is None and baseline is None:
        return
    if canary is None or baseline is None:
        given, missing = ("--gate-canary", "--gate-baseline")[:: 1 if canary else -1]
        raise OptionError(ONE_SELECTION.format(given=given, missing=missing))
    if set(canary) == set(baseline):
        raise OptionError(SAME_SELECTION.format(text=str(values["canary_text"])))


def resolve_options(
    config: pytest.Config, env: Mapping[str, str] | None = None, now: float | None = None
) -> GateOptions:
    """Resolve all gate options; raises :class:`OptionError` on a bad value."""
    environ = os.environ if env is None else env
    raw = {spec.field: _raw(config, spec, environ) for spec in OPTION_SPECS}
    values: dict[str, Any] = {}
    for spec in OPTION_SPECS:  # table order: the first bad option is the one reported
        values[spec.field] = spec.parse(spec, raw[spec.field])
    chosen = chosen_sources(values["prometheus_url"], values["metrics_urls"], values["replay"])
    if (problem := too_many_sources(chosen)) is not None:
        raise OptionError(problem)
    _check_watch(values)
    _check_selections({**values, "canary_text": raw["canary"]})
    at = values.pop("at")
    values["at_given"] = at is not None
    values["at"] = at if at is not None else (time.time() if now is None else now)
    values["canary"] = values["canary"] or ()
    values["baseline"] = values["baseline"] or ()
    values["environment"] = values["environment"] or DEFAULT_ENVIRONMENT
    return GateOptions(**values)
