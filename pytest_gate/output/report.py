"""Pure construction of the JSON gate report (DESIGN.md §4), and its strict, atomic write.

The report is RFC 8259 strict: a NaN or infinity anywhere becomes ``null`` before writing, and the
writer refuses non-finite floats (``allow_nan=False``), so a consumer with a strict parser never chokes.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pytest_gate.checks.observe import Observation
from pytest_gate.config.waivers import Waiver
from pytest_gate.core.atomicfile import write_atomic
from pytest_gate.core.decision import Decision, Outcome, Severity, Verdict, effect_of
from pytest_gate.core.durations import duration
from pytest_gate.core.query import Coverage
from pytest_gate.core.urls import scrub_userinfo

SCHEMA_VERSION = 1
REPORT_WRITE_FAILED = (
    "cannot write the gate report to {path}: {cause}; pick a writable --gate-report path"
)


@dataclass
class CheckRecord:
    """Everything the report says about one check."""

    id: str
    title: str
    severity: Severity
    outcome: Outcome
    message: str = ""
    duration_s: float = 0.0
    observation: Observation | None = None
    not_applicable_reason: str | None = None
    timed_out: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    waiver: Waiver | None = None

    @property
    def effect(self) -> Verdict | None:
        """What this check does to the verdict (a waiver turns NO-GO into WARNING)."""
        return effect_of(self.outcome, self.severity, waived=self.waiver is not None)

    def to_dict(self) -> dict[str, Any]:
        """The report's ``checks[]`` entry."""
        obs = self.observation
        effect = self.effect
        window = obs.window_seconds if obs is not None else None
        return {
            "id": self.id,
            "title": self.title,
            "severity": self.severity.value,
            "outcome": self.outcome.value,
            "effect": effect.value if effect else None,
            "value": obs.value if obs is not None else None,
            "threshold": obs.threshold if obs is not None else None,
            "comparison": obs.comparison if obs is not None else None,
            "unit": obs.unit if obs is not None else None,
            "margin": obs.margin if obs is not None else None,
            "series": [s.to_json() for s in obs.series] if obs is not None else [],
            "query": obs.query if obs is not None else None,
            "window": duration(window) if window is not None else None,
            "samples": obs.samples if obs is not None else None,
            "coverage": coverage_fields(obs.coverage) if obs is not None else None,
            "canary": obs.canary.to_json() if obs is not None and obs.canary is not None else None,
            "message": self.not_applicable_reason or self.message,
            "duration_s": round(self.duration_s, 6),
            "waived": self.waiver is not None,
            "waiver": self.waiver.to_dict() if self.waiver is not None else None,
        }


def coverage_fields(coverage: Coverage | None) -> dict[str, Any] | None:
    """The report's ``coverage`` object of a check (``None`` where the source has no window)."""
    if coverage is None:
        return None
    age = coverage.oldest_age_seconds
    fraction = None if age is None else round(min(1.0, age / coverage.window_seconds), 4)
    return {
        "window_seconds": coverage.window_seconds,
        "series": coverage.series,
        "samples": coverage.samples,
        "fewest_samples_per_series": coverage.fewest_samples,
        "oldest_sample_age_s": None if age is None else round(age, 3),
        "covered_fraction": fraction,
        "scrape_interval_s": coverage.interval_seconds,
        "partial": coverage.partial,
        "born_inside": [dict(labels) for labels in coverage.born_inside],
        "sparse": [dict(labels) for labels in coverage.sparse],
        "longest_gap_s": _rounded(coverage.longest_gap_seconds),
        "base_age_s": _rounded(coverage.base_age_seconds),
        "bridged": coverage.bridged,
        "summary": coverage.summary(),
    }


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)


def iso_utc(timestamp: float) -> str:
    """Unix seconds -> ISO 8601 with ``Z``."""
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def build_report(
    *,
    decision: Decision,
    checks: Sequence[CheckRecord],
    complete: bool,
    evaluated_at: float,
    source: Mapping[str, Any],
    config: Mapping[str, Any],
    selection: Mapping[str, Any],
    plugin_version: str,
    duration_s: float,
    messages: Sequence[str] = (),
) -> dict[str, Any]:
    """Assemble the report dict; every float in it is finite or ``None``."""
    summary = Counter(c.outcome.value for c in checks)
    report = {
        "schema_version": SCHEMA_VERSION,
        "verdict": decision.verdict.value,
        "exit_code": decision.exit_code,
        "reason": decision.reason,
        "complete": complete,
        "evaluated_at": iso_utc(evaluated_at),
        "source": dict(source),
        "config": dict(config),
        "selection": dict(selection),
        "plugin_version": plugin_version,
        "duration_s": round(duration_s, 6),
        "summary": {o.value: summary.get(o.value, 0) for o in Outcome},
        "checks": [c.to_dict() for c in checks],
        "messages": list(messages),
    }
    clean: dict[str, Any] = sanitize(report)
    return clean


def sanitize(value: Any) -> Any:
    """Replace NaN and infinities with ``None``, recursively (RFC 8259 has no such tokens)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): sanitize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [sanitize(v) for v in value]
    return value


def dumps_strict(data: Any) -> str:
    """Serialise strictly: raises ``ValueError`` on NaN/Infinity instead of writing them."""
    # Compact (no indent) so the C encoder runs: a 1,000-GPU report stays fast. Read it with jq.
    return json.dumps(data, allow_nan=False) + "\n"


class ReportWriteError(Exception):
    """The report could not be written; the message names the path, the cause and the fix."""


def write_report(path: Path, data: Any) -> None:
    """Write ``data`` to ``path`` atomically (temp file in the same directory, then rename)."""
    text = dumps_strict(data)  # build_report sanitised it; a stray NaN is refused here
    text = scrub_userinfo(text)  # a URL a check built from --serving-url keeps no password
    try:
        write_atomic(path, text.encode("utf-8"))
    except OSError as exc:
        raise ReportWriteError(
            REPORT_WRITE_FAILED.format(path=path, cause=exc.strerror or exc)
        ) from exc
