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
from dataclasses import dataclass
from typing import NoReturn

import pytest

from pytest_gate.checks.observation import (
    COMPARISONS,
    NEGATIONS,
    P_VALUE,
    Observation,
    ObservedSeries,
    format_value,
    margin_of,
)
from pytest_gate.core.query import Answer, DataState, SeriesValue
from pytest_gate.stats.canary import sides
from pytest_gate.stats.comparison import CanaryComparison, carried, compare
from pytest_gate.stats.sequential import CanaryRound, CountsWentDown

__all__ = [
    "UNKNOWN_COMPARISON",
    "Findings",
    "GateDataError",
    "GateNoData",
    "Observation",
    "ObservedSeries",
    "Observer",
    "format_value",
]

UNKNOWN_COMPARISON = "unknown comparison {op!r}; use one of <=, >=, <, >, =="


class GateNoData(Exception):
    """The data a check needs is missing: empty, NaN, stale, or below the sample floor."""


class GateDataError(Exception):
    """The data a check needs could not be read: transport, HTTP, parse or query error."""


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


@dataclass
class Findings:
    """What one check's ``gate`` fixture recorded: the last observation, or why it does not apply.

    The plugin keeps one per check (in the item's stash) and folds it into the phase's record.
    """

    observation: Observation | None = None
    not_applicable: str | None = None


class Observer:
    """The ``gate`` fixture: one per check, recording into that check's :class:`Findings`."""

    def __init__(self, findings: Findings | None = None) -> None:
        self.findings = findings if findings is not None else Findings()

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
        self.findings.not_applicable = reason
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
        self.findings.observation = observation

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
                cause=f"{what}: {answer.why}",
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
