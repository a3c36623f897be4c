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
from collections.abc import Callable, Mapping, MutableSequence
from dataclasses import dataclass, fields
from typing import Any, NoReturn

import pytest

from pytest_gate.core.query import (
    Answer,
    Coverage,
    DataState,
    Labels,
    SeriesValue,
    labels_from_json,
)
from pytest_gate.sources.base import query_suffix
from pytest_gate.stats.canary import sides
from pytest_gate.stats.comparison import CanaryComparison, carried, compare
from pytest_gate.stats.exact import format_p
from pytest_gate.stats.sequential import CanaryRound, CountsWentDown

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
class ObservedSeries:
    """One series as a check compared it: labels, value, samples, and its margin and result."""

    labels: Labels
    value: float
    samples: float | None = None
    margin: float | None = None
    """Distance to the limit (positive inside); ``None`` where nothing was compared."""
    passed: bool | None = None
    errors: float | None = None
    """A canary side's error count (canary checks only)."""

    @property
    def label_map(self) -> dict[str, str]:
        """The labels as a dict."""
        return dict(self.labels)

    def to_json(self) -> dict[str, Any]:
        """The report's ``series[]`` entry (absent fields left out)."""
        data: dict[str, Any] = {"labels": dict(self.labels), "value": self.value}
        data["samples"] = self.samples
        for name in ("margin", "passed", "errors"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ObservedSeries:
        """The series of :meth:`to_json`."""
        return cls(
            labels=labels_from_json(data["labels"]),
            value=float(data["value"]),
            samples=None if data.get("samples") is None else float(data["samples"]),
            margin=None if data.get("margin") is None else float(data["margin"]),
            passed=None if data.get("passed") is None else bool(data["passed"]),
            errors=None if data.get("errors") is None else float(data["errors"]),
        )


@dataclass(frozen=True)
class Observation:
    """What one comparison saw: the one typed result from ``gate.expect`` to every output.

    It crosses a process boundary once (xdist's ``user_properties``): :meth:`to_json` on the
    worker, :meth:`from_json` where the checks are collected; everything after reads attributes.
    """

    what: str
    value: float | None
    threshold: float
    comparison: str
    unit: str
    margin: float | None
    series: tuple[ObservedSeries, ...]
    query: str | None
    window_seconds: int | None
    samples: float | None
    passed: bool
    state: DataState
    deadline_exceeded: bool = False
    coverage: Coverage | None = None
    canary: CanaryComparison | None = None
    """The canary comparison (canary 5xx check only); its ``to_json`` is the report's section."""
    summary: str | None = None
    """The comparison in one line where the value alone does not say it (canary checks)."""
    cause: str | None = None
    """Why there is no value (no_data, error), without the query: the terminal's one line."""

    def to_json(self) -> dict[str, Any]:
        """JSON for ``user_properties`` (NaN is never stored: values are checked before).

        Shallow on purpose: ``dataclasses.asdict`` deep-copies every series (slow for 1,000 GPUs).
        """
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["series"] = [s.to_json() for s in self.series]
        data["state"] = self.state.value
        data["coverage"] = None if self.coverage is None else self.coverage.to_json()
        data["canary"] = None if self.canary is None else self.canary.to_json()
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Observation:
        """The observation of :meth:`to_json` (raises ``KeyError``/``TypeError``/``ValueError``)."""
        coverage = data.get("coverage")
        canary = data.get("canary")
        return cls(
            what=str(data["what"]),
            value=None if data["value"] is None else float(data["value"]),
            threshold=float(data["threshold"]),
            comparison=str(data["comparison"]),
            unit=str(data["unit"]),
            margin=None if data["margin"] is None else float(data["margin"]),
            series=tuple(ObservedSeries.from_json(s) for s in data["series"]),
            query=None if data["query"] is None else str(data["query"]),
            window_seconds=None if data["window_seconds"] is None else int(data["window_seconds"]),
            samples=None if data["samples"] is None else float(data["samples"]),
            passed=bool(data["passed"]),
            state=DataState(data["state"]),
            deadline_exceeded=bool(data.get("deadline_exceeded", False)),
            coverage=None if coverage is None else Coverage.from_json(coverage),
            canary=None if canary is None else CanaryComparison.from_json(canary),
            summary=None if data.get("summary") is None else str(data["summary"]),
            cause=None if data.get("cause") is None else str(data["cause"]),
        )

    def worst_series(self) -> ObservedSeries | None:
        """The failing series with the least margin, else any series with the least margin."""
        failing = [s for s in self.series if s.passed is False]
        pool = failing or list(self.series)
        if not pool:
            return None
        return min(pool, key=lambda s: s.margin if s.margin is not None else 0.0)


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


def _compared(
    series: tuple[SeriesValue, ...], op: str, threshold: float
) -> tuple[ObservedSeries, ...]:
    return tuple(
        ObservedSeries(
            labels=s.labels,
            value=s.value,
            samples=s.samples,
            margin=margin_of(s.value, op, threshold),
            passed=COMPARISONS[op](s.value, threshold),
        )
        for s in series
    )


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
                series=_compared(series, op, threshold),
                query=answer.query_text or None,
                window_seconds=answer.window_seconds,
                samples=answer.samples,
                passed=passed,
                state=DataState.OK,
                coverage=answer.coverage,
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
        self,
        paired_sides: Answer,
        *,
        alpha: float,
        max_ratio: float,
        what: str,
        now: CanaryRound | None = None,
        expected_share: float | None = None,
    ) -> None:
        """Canary against baseline (a :func:`pytest_gate.stats.canary.paired` answer).

        Passes when the canary's error ratio is not significantly above the baseline's and at
        most ``max_ratio``: one-sided Fisher exact test (``p >= alpha``) in a one-shot run, the
        anytime-valid e-process (``e < 1/alpha`` in every round so far) in a watch round
        (``now.watching``). With ``expected_share``, a sample ratio mismatch is no_data. The
        report's value is the (anytime) p-value, or the canary's ratio when only the absolute
        limit is breached.
        """
        title = f"canary {what} vs baseline"
        kept = carried(now, alpha, max_ratio, what)
        if paired_sides.state is not DataState.OK:
            self._record_failed_data(paired_sides, ">=", alpha, title, P_VALUE, kept)
        window = paired_sides.window_seconds or 0
        try:
            result = compare(
                *sides(paired_sides),
                alpha=alpha,
                max_ratio=max_ratio,
                what=what,
                now=now,
                window_seconds=window,
                expected_share=expected_share,
            )
        except CountsWentDown as exc:
            failed = paired_sides.with_state(DataState.NO_DATA, str(exc))
            self._record_failed_data(failed, ">=", alpha, title, P_VALUE, kept)
        if result.share is not None and result.share.mismatch:
            mismatch = paired_sides.with_state(DataState.NO_DATA, result.share.message())
            self._record_failed_data(mismatch, ">=", alpha, title, P_VALUE, result)
        by_limit = not result.within_limit and not result.significant
        value, threshold, op, unit = (
            (result.canary.ratio, max_ratio, "<=", "ratio")
            if by_limit
            else (result.p_value, alpha, ">=", P_VALUE)
        )
        series = tuple(
            ObservedSeries(
                labels=(("side", side.name),),
                value=side.ratio,
                samples=side.requests,
                errors=side.errors,
                margin=max_ratio - side.ratio,
                passed=result.passed if side is result.canary else True,
            )
            for side in (result.canary, result.baseline)
        )
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
                state=DataState.OK,
                coverage=paired_sides.coverage,
                canary=result,
                summary=result.summary(),
            )
        )
        if not result.passed:
            raise AssertionError(result.summary())

    def not_applicable(self, reason: str) -> None:
        """End this check as ``not_applicable`` (no effect on the verdict), with a reason."""
        self._sink.append((NOT_APPLICABLE_KEY, reason))
        pytest.skip(reason)

    def require_exported(self, presence: Answer, *, what: str, engine: Answer) -> None:
        """Go on only when the metric is exported; "not exported at all" is not_applicable.

        ``presence`` and ``engine`` are :class:`~pytest_gate.core.query.Exported` answers: the
        check's own metric, and a metric every version of the engine exports. Absent is not zero:
        a metric with no series in the look-back ends the check ``not_applicable`` with that
        reason, never a pass. When the engine's own metric is absent too, the source holds
        nothing of the engine (a wrong label selector, a dead scrape): that is no_data, not
        "not applicable". A failed presence answer fails closed like any other.
        """
        for answer in (engine, presence):
            checked = answer.checked()
            if checked.state is not DataState.OK:
                self._record_failed_data(checked, ">", 0.0, f"{what} exported", "")
        if _held(engine) <= 0:
            self.no_data(
                f"{what}: the source holds no series of the engine at all ({engine.query_text} "
                "is 0); check the label selector ([gate] label_selector) and that Prometheus "
                "scrapes the engine"
            )
        if _held(presence) <= 0:
            self.not_applicable(
                f"{what}: not exported by this engine version (no series in the look-back: "
                f"{presence.query_text} is 0)"
            )

    def no_data(self, message: str) -> None:
        """End this check as ``no_data`` (fails closed)."""
        raise GateNoData(message)

    def _record(self, observation: Observation) -> None:
        self._sink.append((OBSERVATION_KEY, observation.to_json()))

    def _record_failed_data(
        self,
        answer: Answer,
        op: str,
        threshold: float,
        what: str,
        unit: str,
        canary: CanaryComparison | None = None,
    ) -> NoReturn:
        self._record(
            Observation(
                what=what,
                value=None,
                threshold=threshold,
                comparison=op,
                unit=unit,
                margin=None,
                series=tuple(
                    ObservedSeries(labels=s.labels, value=s.value, samples=s.samples)
                    for s in answer.series
                    if math.isfinite(s.value)
                ),
                query=answer.query_text or None,
                window_seconds=answer.window_seconds,
                samples=answer.samples,
                passed=False,
                state=answer.state,
                deadline_exceeded=answer.deadline_exceeded,
                cause=f"{what}: {answer.message.removesuffix(query_suffix(answer.query_text))}",
                coverage=answer.coverage,
                canary=canary,
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
    """No data when a series has fewer samples than the floor, or no count at all.

    A series whose source could not count its samples (a histogram without ``_count``, a recorded
    ``null`` or NaN) cannot show it clears the floor, so it fails closed like a short one.
    """
    uncounted = [s for s in answer.series if s.samples is None or not math.isfinite(s.samples)]
    if uncounted:
        names = ", ".join(s.describe() or "all" for s in uncounted)
        return answer.with_state(
            DataState.NO_DATA,
            f"the sample count is missing ({names}), so the floor of {min_samples:g} cannot be "
            "checked; make sure the source exports it (a histogram's _count, a counter's total)",
        )
    short = [s for s in answer.series if s.samples is not None and s.samples < min_samples]
    if not short:
        return answer
    names = ", ".join(f"{s.describe() or 'all'}: {s.samples:g}" for s in short)
    return answer.with_state(
        DataState.NO_DATA, f"fewer samples than the floor of {min_samples:g} ({names})"
    )


def _held(presence: Answer) -> float:
    """The series count of an ``Exported`` answer (its one value)."""
    return sum(s.value for s in presence.series)
