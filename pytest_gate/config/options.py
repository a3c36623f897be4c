"""Command-line options, their ini twins and environment variables, resolved in one place.

Precedence is CLI > environment > ini > default, resolved by :func:`resolve_options` into a frozen
:class:`GateOptions`. Bad values raise :class:`OptionError` with a "<problem>; <fix>" message.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pytest_gate.config.sourcechoice import (
    chosen_sources,
    gpu_source_problem,
    too_many_sources,
)
from pytest_gate.core.instants import instant_problem, span_problem
from pytest_gate.core.query import Matcher
from pytest_gate.stats.canary import SelectionError, parse_selection

DEFAULT_DEADLINE_SECONDS = 20.0
DEFAULT_ENVIRONMENT = "default"
DEFAULT_INTERVAL_SECONDS = 60.0
DEFAULT_FAILURE_LIMIT = 1


@dataclass(frozen=True)
class OptionSpec:
    """One gate option: flag, ini name, environment variable, help text and default."""

    flag: str
    dest: str
    help: str
    ini: str | None = None
    env: str | None = None
    kind: str = "string"  # string | bool | list
    default: str | None = None


OPTION_SPECS = (
    OptionSpec(
        "--prometheus-url",
        "gate_prometheus_url",
        "Prometheus base URL to query (the metric source).",
        ini="gate_prometheus_url",
        env="GATE_PROMETHEUS_URL",
    ),
    OptionSpec(
        "--metrics-url",
        "gate_metrics_urls",
        "Scrape this /metrics URL directly instead of Prometheus (repeatable; lifetime counters).",
        ini="gate_metrics_urls",
        kind="list",
    ),
    OptionSpec("--gate-replay", "gate_replay", "Answer every query from a recorded snapshot file."),
    OptionSpec(
        "--gate-record",
        "gate_record",
        "Record every query and its raw answer to this file during the run.",
    ),
    OptionSpec(
        "--gate-time",
        "gate_time",
        "Evaluation instant T: RFC 3339 (2026-11-28T07:00:00Z) or unix seconds; default now.",
    ),
    OptionSpec(
        "--gate-config",
        "gate_config",
        "Gate config TOML (default: gate.toml in the gate-checks directory).",
        ini="gate_config",
    ),
    OptionSpec(
        "--gate-report",
        "gate_report",
        "Write the JSON gate report to this path.",
        ini="gate_report",
    ),
    OptionSpec(
        "--gate-strict",
        "gate_strict",
        "Treat WARNING as NO-GO (exit 2).",
        ini="gate_strict",
        kind="bool",
        default="false",
    ),
    OptionSpec(
        "--gate-require-complete",
        "gate_require_complete",
        "A partial selection (-k, -m, node ids) is NO-GO.",
        ini="gate_require_complete",
        kind="bool",
        default="false",
    ),
    OptionSpec(
        "--gate-dry-run",
        "gate_dry_run",
        "Decide, report and push as usual, but exit 0: try a new gate in CI before it may block.",
        ini="gate_dry_run",
        kind="bool",
        default="false",
    ),
    OptionSpec(
        "--gpu-source",
        "gate_gpu_source",
        "Where GPU memory comes from: auto (NVML when this machine has NVIDIA GPUs, "
        "else exporter metrics), nvml, prometheus, none.",
        ini="gate_gpu_source",
        env="GATE_GPU_SOURCE",
        default="auto",
    ),
    OptionSpec(
        "--serving-url",
        "gate_serving_url",
        "Base URL of the serving API, for the smoke checks (-m smoke).",
        ini="gate_serving_url",
        env="GATE_SERVING_URL",
    ),
    OptionSpec(
        "--gate-canary",
        "gate_canary",
        "Label matchers selecting the canary, for the canary checks (-m canary): "
        "'revision=\"v2\"'.",
        ini="gate_canary",
    ),
    OptionSpec(
        "--gate-baseline",
        "gate_baseline",
        "Label matchers selecting the baseline the canary is compared with: 'revision=\"v1\"'.",
        ini="gate_baseline",
    ),
    OptionSpec(
        "--gate-deadline",
        "gate_deadline",
        "Seconds the whole gate may spend on data; past it the gate is NO-GO.",
        ini="gate_deadline",
        env="GATE_DEADLINE",
        default=str(DEFAULT_DEADLINE_SECONDS),
    ),
    OptionSpec(
        "--gate-pushgateway",
        "gate_pushgateway",
        "Push deployment_gate_status and per-check results to this Pushgateway.",
        ini="gate_pushgateway",
        env="GATE_PUSHGATEWAY_URL",
    ),
    OptionSpec(
        "--gate-environment",
        "gate_environment",
        "The environment label of pushed gate metrics.",
        ini="gate_environment",
        env="GATE_ENVIRONMENT",
        default=DEFAULT_ENVIRONMENT,
    ),
    OptionSpec(
        "--gate-watch",
        "gate_watch",
        "Watch after a deploy: repeat the whole gate for this many seconds at a fresh instant "
        "each --gate-interval; stop at the first --gate-failure-limit consecutive NO-GO rounds.",
        ini="gate_watch",
        env="GATE_WATCH",
    ),
    OptionSpec(
        "--gate-interval",
        "gate_interval",
        "Seconds between the rounds of --gate-watch (default 60).",
        ini="gate_interval",
        env="GATE_INTERVAL",
        default=str(DEFAULT_INTERVAL_SECONDS),
    ),
    OptionSpec(
        "--gate-failure-limit",
        "gate_failure_limit",
        "Consecutive NO-GO rounds that end --gate-watch at once with NO-GO (default 1).",
        ini="gate_failure_limit",
        env="GATE_FAILURE_LIMIT",
        default=str(DEFAULT_FAILURE_LIMIT),
    ),
)

BAD_TIME = (
    "--gate-time {value!r} is neither RFC 3339 nor unix seconds; use e.g. 2026-11-28T07:00:00Z"
)
BAD_DEADLINE = "--gate-deadline {value!r} is not a positive number of seconds; use e.g. 20"
BAD_BOOL = "{name} {value!r} is not a boolean; use true or false"
BAD_SECONDS = "{name} {value!r} is not a positive number of seconds; use e.g. {example}"
BAD_SPAN = "{name} {value!r} {problem}; use e.g. {example}"
BAD_INSTANT = "--gate-time {value!r} {problem}; use e.g. 2026-11-28T07:00:00Z"
EMPTY_PATH = "{flag} is given an empty path; give a file path, e.g. {flag} {example}"
PATH_OPTIONS = (
    ("gate_replay", "--gate-replay", "gate_recording.json"),
    ("gate_record", "--gate-record", "gate_recording.json"),
    ("gate_config", "--gate-config", "gate_checks/gate.toml"),
    ("gate_report", "--gate-report", "gate_report.json"),
)
BAD_FAILURE_LIMIT = (
    "--gate-failure-limit {value!r} is not a whole number of rounds >= 1; use e.g. 2"
)
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


class OptionError(Exception):
    """A gate option has a bad value; the message says what and how to fix it."""


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

    @property
    def explicit(self) -> bool:
        """Whether any option points at a gate run (switches gate mode on)."""
        return bool(
            self.prometheus_url
            or self.metrics_urls
            or self.replay
            or self.report
            or self.config
            or self.serving_url
            or self.at_given
        )


def add_options(parser: pytest.Parser) -> None:
    """Register every option and its ini twin."""
    group = parser.getgroup("gate", "deployment gate (pytest-gate)")
    for spec in OPTION_SPECS:
        if spec.kind == "bool":
            group.addoption(
                spec.flag, action="store_true", dest=spec.dest, default=None, help=spec.help
            )
        elif spec.kind == "list":
            group.addoption(
                spec.flag, action="append", dest=spec.dest, default=None, help=spec.help
            )
        else:
            group.addoption(spec.flag, dest=spec.dest, default=None, help=spec.help)
        if spec.ini:
            ini_type = {"bool": "bool", "list": "linelist"}.get(spec.kind, "string")
            parser.addini(spec.ini, spec.help, type=ini_type, default=None)  # type: ignore[arg-type]


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


def _bool(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise OptionError(BAD_BOOL.format(name=name, value=value))


def parse_time(value: str) -> float:
    """Parse ``--gate-time``: RFC 3339 (``Z`` or an offset) or unix seconds."""
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise OptionError(BAD_TIME.format(value=value)) from None
        if parsed.tzinfo is None:
            raise OptionError(BAD_TIME.format(value=value)) from None
        try:
            seconds = parsed.astimezone(UTC).timestamp()
        except OverflowError:
            seconds = math.inf
    if not math.isfinite(seconds) or seconds <= 0:
        raise OptionError(BAD_TIME.format(value=value))
    if (problem := instant_problem(seconds)) is not None:
        raise OptionError(BAD_INSTANT.format(value=value, problem=problem))
    return seconds


def _deadline(value: object) -> float:
    return _seconds("--gate-deadline", value, "20")


def _seconds(name: str, value: object, example: str) -> float:
    try:
        seconds = float(str(value))
    except ValueError:
        raise OptionError(BAD_SECONDS.format(name=name, value=value, example=example)) from None
    if (problem := span_problem(seconds)) is not None:
        raise OptionError(BAD_SPAN.format(name=name, value=value, problem=problem, example=example))
    return seconds


def _failure_limit(value: object) -> int:
    text = str(value).strip()
    if not (text.isascii() and text.isdigit() and len(text) < 10) or int(text) < 1:
        raise OptionError(BAD_FAILURE_LIMIT.format(value=value))
    return int(text)


def _watch(
    raw: Mapping[str, object], text_of: Callable[[str], str | None]
) -> tuple[float | None, float, int]:
    """``--gate-watch``, ``--gate-interval`` and ``--gate-failure-limit``, checked together."""
    interval = _seconds("--gate-interval", raw["gate_interval"], "60")
    limit = _failure_limit(raw["gate_failure_limit"])
    watch_text = text_of("gate_watch")
    if watch_text is None:
        return None, interval, limit
    watch = _seconds("--gate-watch", watch_text, "900")
    for option, dest in (("--gate-time", "gate_time"), ("--gate-replay", "gate_replay")):
        if text_of(dest) is not None:
            raise OptionError(WATCH_CONFLICT.format(option=option))
    if text_of("gate_record") is not None:
        raise OptionError(WATCH_CONFLICT.format(option="--gate-record"))
    if interval > watch:
        raise OptionError(INTERVAL_LONGER.format(interval=interval, watch=watch))
    return watch, interval, limit


def _canary_selections(
    canary: str | None, baseline: str | None
) -> tuple[tuple[Matcher, ...], tuple[Matcher, ...]]:
    """Both canary selections parsed, or neither given; one alone or both equal is an error."""
    if canary is None and baseline is None:
        return (), ()
    if canary is None or baseline is None:
        given, missing = ("--gate-canary", "--gate-baseline")[:: 1 if canary else -1]
        raise OptionError(ONE_SELECTION.format(given=given, missing=missing))
    try:
        parsed = (
            parse_selection(canary, "--gate-canary"),
            parse_selection(baseline, "--gate-baseline"),
        )
    except SelectionError as exc:
        raise OptionError(str(exc)) from None
    if set(parsed[0]) == set(parsed[1]):
        raise OptionError(SAME_SELECTION.format(text=canary))
    return parsed


def report_path(config: pytest.Config, env: Mapping[str, str] | None = None) -> Path | None:
    """Only ``--gate-report`` (CLI or ini), for writing a report when other options are invalid."""
    spec = next(s for s in OPTION_SPECS if s.dest == "gate_report")
    value = _raw(config, spec, os.environ if env is None else env)
    return Path(str(value)) if value else None


def dry_run_requested(config: pytest.Config, env: Mapping[str, str] | None = None) -> bool:
    """Only ``--gate-dry-run`` (CLI or ini), for a dry run whose other options are invalid.

    An unreadable value counts as no dry run: the run then fails closed as usual.
    """
    spec = next(s for s in OPTION_SPECS if s.dest == "gate_dry_run")
    try:
        return _bool(spec.flag, _raw(config, spec, os.environ if env is None else env))
    except OptionError:
        return False


def resolve_options(
    config: pytest.Config, env: Mapping[str, str] | None = None, now: float | None = None
) -> GateOptions:
    """Resolve all gate options; raises :class:`OptionError` on a bad value."""
    environ = os.environ if env is None else env
    raw = {spec.dest: _raw(config, spec, environ) for spec in OPTION_SPECS}
    for dest, flag, example in PATH_OPTIONS:
        if isinstance(raw[dest], str) and not str(raw[dest]).strip():
            raise OptionError(EMPTY_PATH.format(flag=flag, example=example))

    def text(dest: str) -> str | None:
        value = raw[dest]
        return str(value) if value not in (None, "") else None

    gpu_source = text("gate_gpu_source") or "auto"
    if (problem := gpu_source_problem(gpu_source)) is not None:
        raise OptionError(problem)
    listed = raw["gate_metrics_urls"]
    urls = listed if isinstance(listed, list | tuple) else ([listed] if listed else [])
    metrics_urls = tuple(str(u) for u in urls if str(u).strip())
    chosen = chosen_sources(text("gate_prometheus_url"), metrics_urls, text("gate_replay"))
    if (problem := too_many_sources(chosen)) is not None:
        raise OptionError(problem)
    watch, interval, failure_limit = _watch(raw, text)
    canary, baseline = _canary_selections(text("gate_canary"), text("gate_baseline"))
    time_text = text("gate_time")
    replay, record, config_path, report = (
        Path(p) if (p := text(d)) else None
        for d in ("gate_replay", "gate_record", "gate_config", "gate_report")
    )
    return GateOptions(
        prometheus_url=text("gate_prometheus_url"),
        metrics_urls=metrics_urls,
        replay=replay,
        record=record,
        at=parse_time(time_text) if time_text else (time.time() if now is None else now),
        at_given=time_text is not None,
        config=config_path,
        report=report,
        strict=_bool("--gate-strict", raw["gate_strict"]),
        require_complete=_bool("--gate-require-complete", raw["gate_require_complete"]),
        dry_run=_bool("--gate-dry-run", raw["gate_dry_run"]),
        gpu_source=gpu_source,
        serving_url=text("gate_serving_url"),
        canary=canary,
        baseline=baseline,
        deadline_seconds=_deadline(raw["gate_deadline"]),
        pushgateway=text("gate_pushgateway"),
        environment=text("gate_environment") or DEFAULT_ENVIRONMENT,
        watch_seconds=watch,
        interval_seconds=interval,
        failure_limit=failure_limit,
    )
