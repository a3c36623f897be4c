"""The check-facing comparison helper: compare a value with a threshold and record what was seen.

A check calls ``gate.expect(answer, "<=", limit, what="creative p95", unit="s")``. Every series of
the answer is compared, the worst one decides, and value, threshold, comparison, unit, margin and
every series are recorded for the report. A breach raises ``AssertionError`` with a message such as
``creative p95 4.81 s > 4.50 s (mode=creative)``; data that is missing or broken raises
:class:`GateNoData` or :class:`GateDataError`, which the plugin turns into the outcomes ``no_data``
and ``error`` (never a pass, never a skip).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, MutableSequence
from dataclasses import dataclass, fields
from typing import Any

import pytest

from pytest_gate.canary import compare, sides
from pytest_gate.exact import format_p
from pytest_gate.query import Answer, Coverage, DataState, SeriesValue
from pytest_gate.sources.base import query_suffix

OBSERVATION_KEY = "gate.observation"
NOT_APPLICABLE_KEY = "gate.not_applicable"

COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
    "==": operator.eq,
}
NEGATIONS = {"<=": ">", ">=": "<", "<": ">=", ">": "<=", "==": "!="}
UNKNOWN_COMPARISON = "unknown comparison {op!r}; use one of <=, >=, <, >, =="
P_VALUE = "p"
"""The unit of a p-value (shown as ``0.00028``, not as a percentage)."""


class GateNoData(Exception):
    """The data a check needs is missing: empty, NaN, stale, or below the sample floor."""


class GateDataError(Exception):
    """The data a check needs could not be read: transport, HTTP, parse or query error."""


@dataclass(frozen=True)
class Observation:
    """What one comparison saw; serialisable for the report (and for xdist)."""

    what: str
    value: float | None
    threshold: float
    comparison: str
    unit: str
    margin: float | None
    series: list[dict[str, Any]]
    query: str | None
    window_seconds: int | None
    samples: float | None
    passed: bool
    state: str
    deadline_exceeded: bool = False
    coverage: dict[str, Any] | None = None
    canary: dict[str, Any] | None = None
    cause: str | None = None
    """Why there is no value (no_data, error), without the query: the terminal's one line."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (NaN is never stored: values are checked before).

        Shallow on purpose: ``dataclasses.asdict`` deep-copies every series (slow for 1,000 GPUs).
        """
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["series"] = [dict(s) for s in self.series]
        data["coverage"] = None if self.coverage is None else dict(self.coverage)
        data["canary"] = None if self.canary is None else dict(self.canary)
        return data


def coverage_dict(coverage: Coverage | None) -> dict[str, Any] | None:
    """The report's ``coverage`` object of a check (``None`` where the source has no window)."""
    if coverage is None:
        return None
    age = coverage.oldest_age_seconds
    return {
        "window_seconds": coverage.window_seconds,
        "series": coverage.series,
        "samples": coverage.samples,
        "fewest_samples_per_series": coverage.fewest_samples,
        "oldest_sample_age_s": None if age is None else round(age, 3),
        "covered_fraction": None
        if age is None
        else round(min(1.0, age / coverage.window_seconds), 4),
        "scrape_interval_s": coverage.interval_seconds,
        "partial": coverage.partial,
        "born_inside": [dict(labels) for labels in coverage.born_inside],
        "sparse": [dict(labels) for labels in coverage.sparse],
        "summary": coverage.summary(),
    }


def format_value(value: float, unit: str) -> str:
    """Format a value with its unit; ``ratio`` is shown as a percentage."""
    if unit == "ratio":
        return f"{value * 100:.2f}%"
    if unit == P_VALUE:
        return format_p(value)
    if not unit and float(value).is_integer():
        return str(int(value))  # counts and codes: "HTTP status 503 != 200"
    return f"{value:.2f} {unit}".rstrip()


def margin_of(value: float, op: str, threshold: float) -> float:
    """Distance from the limit, positive when inside it (``==`` gives minus the difference)."""
    if op in ("<=", "<"):
        return threshold - value
    if op in (">=", ">"):
        return value - threshold
    return 0.0 - abs(value - threshold)


def _series_dicts(
    series: tuple[SeriesValue, ...], op: str, threshold: float
) -> list[dict[str, Any]]:
    return [
        {
            "labels": s.label_map,
            "value": s.value,
            "samples": s.samples,
            "margin": margin_of(s.value, op, threshold),
            "passed": COMPARISONS[op](s.value, threshold),
        }
        for s in series
    ]


class Observer:
    """The ``gate`` fixture: one per check, recording into the test's ``user_properties``."""

    def __init__(self, sink: MutableSequence[tuple[str, object]]) -> None:
        self._sink = sink

    def expect(
        self,
        subject: Answer | float,
        op: str,
        threshold: float,
        *,
        what: str,
        unit: str,
        min_samples: float | None = None,
        label_keys: tuple[str, ...] = (),
    ) -> None:
        """Compare every series of ``subject`` with ``threshold``; the worst series decides."""
        if op not in COMPARISONS:
            raise ValueError(UNKNOWN_COMPARISON.format(op=op))
        answer = subject if isinstance(subject, Answer) else _answer_of(float(subject))
        answer = answer.checked()
        if answer.state is DataState.OK and min_samples is not None:
            answer = _apply_floor(answer, min_samples)
        if answer.state is not DataState.OK:
            self._record_failed_data(answer, op, threshold, what, unit)
        series = answer.series
        worst = min(series, key=lambda s: margin_of(s.value, op, threshold))
        passed = all(COMPARISONS[op](s.value, threshold) for s in series)
        self._record(
            Observation(
                what=what,
                value=worst.value,
                threshold=threshold,
                comparison=op,
                unit=unit,
                margin=margin_of(worst.value, op, threshold),
                series=_series_dicts(series, op, threshold),
                query=answer.query_text or None,
                window_seconds=answer.window_seconds,
                samples=answer.samples,
                passed=passed,
                state=DataState.OK.value,
                coverage=coverage_dict(answer.coverage),
            )
        )
        if not passed:
            where = worst.describe(label_keys)
            suffix = f" ({where})" if where else ""
            seen = answer.coverage.summary() if answer.coverage is not None else ""
            raise AssertionError(
                f"{what} {format_value(worst.value, unit)} {NEGATIONS[op]} "
                f"{format_value(threshold, unit)}{suffix}" + (f"; {seen}" if seen else "")
            )

    def expect_not_worse(
        self, paired_sides: Answer, *, alpha: float, max_ratio: float, what: str
    ) -> None:
        """Canary against baseline (a :func:`pytest_gate.canary.paired` answer).

        Passes when the canary's error ratio is not significantly above the baseline's (one-sided
        exact test, ``p >= alpha``) and at most ``max_ratio``. The report's value is the p-value,
        or the canary's ratio when only the absolute limit is breached.
        """
        if paired_sides.state is not DataState.OK:
            self._record_failed_data(
                paired_sides, ">=", alpha, f"canary {what} vs baseline", P_VALUE
            )
        result = compare(*sides(paired_sides), alpha=alpha, max_ratio=max_ratio, what=what)
        by_limit = not result.within_limit and not result.significant
        value, threshold, op, unit = (
            (result.canary.ratio, max_ratio, "<=", "ratio")
            if by_limit
            else (result.test.p_value, alpha, ">=", P_VALUE)
        )
        series = [
            {
                "labels": {"side": side.name},
                "value": side.ratio,
                "samples": side.requests,
                "errors": side.errors,
                "margin": max_ratio - side.ratio,
                "passed": result.passed if side is result.canary else True,
            }
            for side in (result.canary, result.baseline)
        ]
        self._record(
            Observation(
                what=what,
                value=value,
                threshold=threshold,
                comparison=op,
                unit=unit,
                margin=margin_of(value, op, threshold),
                series=series,
                query=paired_sides.query_text,
                window_seconds=paired_sides.window_seconds,
                samples=paired_sides.samples,
                passed=result.passed,
                state=DataState.OK.value,
                coverage=coverage_dict(paired_sides.coverage),
                canary=result.to_dict(),
            )
        )
        if not result.passed:
            raise AssertionError(result.summary())

    def not_applicable(self, reason: str) -> None:
        """End this check as ``not_applicable`` (no effect on the verdict), with a reason."""
        self._sink.append((NOT_APPLICABLE_KEY, reason))
        pytest.skip(reason)

    def no_data(self, message: str) -> None:
        """End this check as ``no_data`` (fails closed)."""
        raise GateNoData(message)

    def _record(self, observation: Observation) -> None:
        self._sink.append((OBSERVATION_KEY, observation.to_dict()))

    def _record_failed_data(
        self, answer: Answer, op: str, threshold: float, what: str, unit: str
    ) -> None:
        self._record(
            Observation(
                what=what,
                value=None,
                threshold=threshold,
                comparison=op,
                unit=unit,
                margin=None,
                series=[
                    {"labels": s.label_map, "value": s.value, "samples": s.samples}
                    for s in answer.series
                    if math.isfinite(s.value)
                ],
                query=answer.query_text or None,
                window_seconds=answer.window_seconds,
                samples=answer.samples,
                passed=False,
                state=answer.state.value,
                deadline_exceeded=answer.deadline_exceeded,
                cause=f"{what}: {answer.message.removesuffix(query_suffix(answer.query_text))}",
                coverage=coverage_dict(answer.coverage),
            )
        )
        message = f"{what}: {answer.message}"
        if answer.query_text and answer.query_text not in answer.message:
            message += f" [query: {answer.query_text}]"
        if answer.state is DataState.ERROR:
            raise GateDataError(message)
        raise GateNoData(message)


def _answer_of(value: float) -> Answer:
    return Answer(query_text="", state=DataState.OK, series=(SeriesValue((), value),))


def _apply_floor(answer: Answer, min_samples: float) -> Answer:
    short = [s for s in answer.series if s.samples is not None and s.samples < min_samples]
    if not short:
        return answer
    names = ", ".join(f"{s.describe() or 'all'}: {s.samples:g}" for s in short)
    return answer.with_state(
        DataState.NO_DATA, f"fewer samples than the floor of {min_samples:g} ({names})"
    )
