"""The gate's option table: one :class:`OptionSpec` per option, and the parsers it names.

Each spec knows its flag, the :class:`~pytest_gate.config.options.GateOptions` field it fills, its
ini twin, its environment variable, its default and its parser; :mod:`pytest_gate.config.options`
registers and resolves them. Adding an option is adding a row here and a field there.

The plugin's entry imports this module on every pytest run, gate or not: it imports nothing
heavier than the standard library (the canary selection parser loads when a selection is given).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from pytest_gate.config.sourcechoice import gpu_source_problem

if TYPE_CHECKING:
    from pytest_gate.core.query import Matcher

DEFAULT_DEADLINE_SECONDS = 20.0
DEFAULT_ENVIRONMENT = "default"
DEFAULT_INTERVAL_SECONDS = 60.0
DEFAULT_FAILURE_LIMIT = 1

BAD_TIME = (
    "--gate-time {value!r} is neither RFC 3339 nor unix seconds; use e.g. 2026-11-28T07:00:00Z"
)
BAD_BOOL = "{name} {value!r} is not a boolean; use true or false"
BAD_SECONDS = "{name} {value!r} is not a positive number of seconds; use e.g. {example}"
BAD_SPAN = "{name} {value!r} {problem}; use e.g. {example}"
BAD_INSTANT = "--gate-time {value!r} {problem}; use e.g. 2026-11-28T07:00:00Z"
EMPTY_PATH = "{flag} is given an empty path; give a file path, e.g. {flag} {example}"
BAD_FAILURE_LIMIT = (
    "--gate-failure-limit {value!r} is not a whole number of rounds >= 1; use e.g. 2"
)


class OptionError(Exception):
    """A gate option has a bad value; the message says what and how to fix it."""


Parser = Callable[["OptionSpec", Any], Any]
"""Turns an option's raw value (CLI text, env text, ini value or default; ``None`` when unset)
into its :class:`GateOptions` field, or raises :class:`OptionError`."""


def _text(spec: OptionSpec, value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def _path(spec: OptionSpec, value: object) -> Path | None:
    if isinstance(value, str) and not value.strip():
        raise OptionError(EMPTY_PATH.format(flag=spec.flag, example=spec.example))
    text = _text(spec, value)
    return Path(text) if text else None


def _bool(spec: OptionSpec, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise OptionError(BAD_BOOL.format(name=spec.flag, value=value))


def seconds(spec: OptionSpec, value: object) -> float | None:
    """The one seconds parser: a positive, finite span of at most a week; unset gives ``None``.

    An empty value is an error for an option with a default (``--gate-deadline ""``) and unset
    for an optional one (``--gate-watch ""``).
    """
    if value is None or (value == "" and spec.default is None):
        return None  # unset, or an optional span given empty (no --gate-watch)
    try:
        parsed = float(str(value))
    except ValueError:
        raise OptionError(
            BAD_SECONDS.format(name=spec.flag, value=value, example=spec.example)
        ) from None
    from pytest_gate.core.instants import span_problem  # only a run that resolves options

    if (problem := span_problem(parsed)) is not None:
        raise OptionError(
            BAD_SPAN.format(name=spec.flag, value=value, problem=problem, example=spec.example)
        )
    return parsed


def _count(spec: OptionSpec, value: object) -> int:
    text = str(value).strip()
    if not (text.isascii() and text.isdigit() and len(text) < 10) or int(text) < 1:
        raise OptionError(BAD_FAILURE_LIMIT.format(value=value))
    return int(text)


def _urls(spec: OptionSpec, value: object) -> tuple[str, ...]:
    listed = value if isinstance(value, list | tuple) else ([value] if value else [])
    return tuple(str(u) for u in listed if str(u).strip())


def _gpu_source(spec: OptionSpec, value: object) -> str:
    text = _text(spec, value) or "auto"
    if (problem := gpu_source_problem(text)) is not None:
        raise OptionError(problem)
    return text


def _time(spec: OptionSpec, value: object) -> float | None:
    text = _text(spec, value)
    return parse_time(text) if text else None


def _selection(spec: OptionSpec, value: object) -> tuple[Matcher, ...] | None:
    text = _text(spec, value)
    if text is None:
        return None
    from pytest_gate.stats.canary import SelectionError, parse_selection

    try:
        return parse_selection(text, spec.flag)
    except SelectionError as exc:
        raise OptionError(str(exc)) from None


class OptionSpec(NamedTuple):
    """One gate option: flag, the :class:`GateOptions` field it fills, ini twin, environment
    variable, default, parser, and the help and metavar ``pytest --help`` shows.

    A named tuple, not a dataclass: every pytest run builds the table, and a named tuple class
    costs a fraction of a frozen dataclass's generated methods.
    """

    flag: str
    field: str
    help: str
    metavar: str | None = None
    ini: str | None = None
    env: str | None = None
    kind: str = "string"  # string | bool | list
    default: str | None = None
    parse: Parser = _text
    example: str = ""
    shown_default: str | None = None
    """The default as ``--help`` says it, where it is not a value (``now``)."""

    @property
    def dest(self) -> str:
        """The argparse destination (``config.getoption``): the ini twin's name, else
        ``gate_`` and the flag's words (``--gate-time`` is ``gate_time``)."""
        return self.ini or self.flag.lstrip("-").replace("-", "_")

    @property
    def full_help(self) -> str:
        """The help text with its default, environment variable and ini twin."""
        shown = self.shown_default or (self.default if self.kind != "bool" else None)
        extras = [f"default: {shown}"] if shown else []
        extras += [f"env {self.env}"] if self.env else []
        extras += [f"ini {self.ini}"] if self.ini else []
        return f"{self.help} [{'; '.join(extras)}]" if extras else self.help


OPTION_SPECS: tuple[OptionSpec, ...] = (
    OptionSpec(
        "--prometheus-url",
        "prometheus_url",
        "Prometheus base URL to query (the metric source).",
        "URL",
        ini="gate_prometheus_url",
        env="GATE_PROMETHEUS_URL",
    ),
    OptionSpec(
        "--metrics-url",
        "metrics_urls",
        "Scrape this /metrics URL directly instead of Prometheus (repeatable; lifetime counters).",
        "URL",
        ini="gate_metrics_urls",
        kind="list",
        parse=_urls,
    ),
    OptionSpec(
        "--gate-replay",
        "replay",
        "Answer every query from a recorded snapshot file.",
        "PATH",
        parse=_path,
        example="gate_recording.json",
    ),
    OptionSpec(
        "--gate-record",
        "record",
        "Record every query and its raw answer to this file during the run.",
        "PATH",
        parse=_path,
        example="gate_recording.json",
    ),
    OptionSpec(
        "--gate-time",
        "at",
        "Evaluation instant T: RFC 3339 (2026-11-28T07:00:00Z) or unix seconds.",
        "TIME",
        shown_default="now",
        parse=_time,
    ),
    OptionSpec(
        "--gate-config",
        "config",
        "Gate config TOML.",
        "PATH",
        ini="gate_config",
        shown_default="gate.toml in the gate-checks directory",
        parse=_path,
        example="gate_checks/gate.toml",
    ),
    OptionSpec(
        "--gate-report",
        "report",
        "Write the JSON gate report to this path.",
        "PATH",
        ini="gate_report",
        parse=_path,
        example="gate_report.json",
    ),
    OptionSpec(
        "--gate-strict",
        "strict",
        "Treat WARNING as NO-GO (exit 2).",
        ini="gate_strict",
        kind="bool",
        default="false",
        parse=_bool,
    ),
    OptionSpec(
        "--gate-require-complete",
        "require_complete",
        "A partial selection (-k, -m, node ids) is NO-GO.",
        ini="gate_require_complete",
        kind="bool",
        default="false",
        parse=_bool,
    ),
    OptionSpec(
        "--gate-dry-run",
        "dry_run",
        "Decide, report and push as usual, but exit 0: try a new gate in CI before it may block.",
        ini="gate_dry_run",
        kind="bool",
        default="false",
        parse=_bool,
    ),
    OptionSpec(
        "--gpu-source",
        "gpu_source",
        "Where GPU memory comes from: auto (NVML when this "
        "machine has NVIDIA GPUs, else exporter metrics), nvml, prometheus, none.",
        "{auto,nvml,prometheus,none}",
        ini="gate_gpu_source",
        env="GATE_GPU_SOURCE",
        default="auto",
        parse=_gpu_source,
    ),
    OptionSpec(
        "--serving-url",
        "serving_url",
        "Base URL of the serving API, for the smoke checks (-m smoke).",
        "URL",
        ini="gate_serving_url",
        env="GATE_SERVING_URL",
    ),
    OptionSpec(
        "--gate-canary",
        "canary",
        "Label matchers selecting the canary, for the canary "
        "checks (-m canary): 'revision=\"v2\"'.",
        "MATCHERS",
        ini="gate_canary",
        parse=_selection,
    ),
    OptionSpec(
        "--gate-baseline",
        "baseline",
        "Label matchers selecting the baseline the canary is compared with: 'revision=\"v1\"'.",
        "MATCHERS",
        ini="gate_baseline",
        parse=_selection,
    ),
    OptionSpec(
        "--gate-deadline",
        "deadline_seconds",
        "Seconds the whole gate may spend on data "
        "(queries, scrapes, smoke requests); past it the gate is NO-GO.",
        "SECONDS",
        ini="gate_deadline",
        env="GATE_DEADLINE",
        default=f"{DEFAULT_DEADLINE_SECONDS:g}",
        parse=seconds,
        example="20",
    ),
    OptionSpec(
        "--gate-pushgateway",
        "pushgateway",
        "Push deployment_gate_status and per-check results to this Pushgateway.",
        "URL",
        ini="gate_pushgateway",
        env="GATE_PUSHGATEWAY_URL",
    ),
    OptionSpec(
        "--gate-environment",
        "environment",
        "The environment label of pushed gate metrics.",
        "NAME",
        ini="gate_environment",
        env="GATE_ENVIRONMENT",
        default=DEFAULT_ENVIRONMENT,
    ),
    OptionSpec(
        "--gate-watch",
        "watch_seconds",
        "Watch after a deploy: repeat the whole gate for "
        "this many seconds at a fresh instant each --gate-interval; stop at the first "
        "--gate-failure-limit consecutive NO-GO rounds.",
        "SECONDS",
        ini="gate_watch",
        env="GATE_WATCH",
        parse=seconds,
        example="900",
    ),
    OptionSpec(
        "--gate-interval",
        "interval_seconds",
        "Seconds between the rounds of --gate-watch.",
        "SECONDS",
        ini="gate_interval",
        env="GATE_INTERVAL",
        default=f"{DEFAULT_INTERVAL_SECONDS:g}",
        parse=seconds,
        example="60",
    ),
    OptionSpec(
        "--gate-failure-limit",
        "failure_limit",
        "Consecutive NO-GO rounds that end --gate-watch at once with NO-GO.",
        "N",
        ini="gate_failure_limit",
        env="GATE_FAILURE_LIMIT",
        default=str(DEFAULT_FAILURE_LIMIT),
        parse=_count,
    ),
)
SPEC_BY_FIELD: Mapping[str, OptionSpec] = {spec.field: spec for spec in OPTION_SPECS}


def parse_time(value: str) -> float:
    """Parse ``--gate-time``: RFC 3339 (``Z`` or an offset) or unix seconds."""
    from datetime import UTC, datetime  # only a run given --gate-time pays for it

    text = value.strip()
    try:
        parsed_seconds = float(text)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise OptionError(BAD_TIME.format(value=value)) from None
        if parsed.tzinfo is None:
            raise OptionError(BAD_TIME.format(value=value)) from None
        try:
            parsed_seconds = parsed.astimezone(UTC).timestamp()
        except OverflowError:
            parsed_seconds = math.inf
    if not math.isfinite(parsed_seconds) or parsed_seconds <= 0:
        raise OptionError(BAD_TIME.format(value=value))
    from pytest_gate.core.instants import instant_problem

    if (problem := instant_problem(parsed_seconds)) is not None:
        raise OptionError(BAD_INSTANT.format(value=value, problem=problem))
    return parsed_seconds
