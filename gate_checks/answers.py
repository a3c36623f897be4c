"""Answers derived from answers (pure): per-series ratios, a hit share, required series, a test,
a canary's value relative to its baseline.

Checks combine what the snapshot returned without I/O and without try/except: every function here
keeps a failed state failed, so missing data still fails closed in the observer.
"""

from __future__ import annotations

import math

from pytest_gate import Answer, Coverage, DataState, Labels, SeriesValue
from pytest_gate.checks.observe import COMPARISONS
from pytest_gate.stats.canary import BASELINE, CANARY

NAME_LABEL = "__name__"


def within(answer: Answer, op: str, threshold: float) -> bool:
    """True when the answer is usable and every series satisfies ``value <op> threshold``."""
    checked = answer.checked()
    return checked.state is DataState.OK and all(
        COMPARISONS[op](s.value, threshold) for s in checked.series
    )


def divided(current: Answer, baseline: Answer, what: str) -> Answer:
    """``current / baseline`` per series, joined on the full label set.

    A series without a baseline, or with a baseline that is not positive, makes the answer
    no_data naming it. ``samples`` of each series is the baseline's sample count.
    """
    for part in (current.checked(), baseline.checked()):
        if part.state is not DataState.OK:
            return part
    baselines = {_key(s.labels): s for s in baseline.series}
    series: list[SeriesValue] = []
    missing: list[str] = []
    for s in current.series:
        base = baselines.get(_key(s.labels))
        if base is None or base.value <= 0:
            missing.append(f"{s.describe()}: {'none' if base is None else f'{base.value:g}'}")
            continue
        series.append(SeriesValue(s.labels, s.value / base.value, samples=base.samples))
    state, message = DataState.OK, ""
    if missing:
        state = DataState.NO_DATA
        message = f"no positive {what} for {'; '.join(missing)}"
    return Answer(
        query_text=f"({current.query_text}) / ({baseline.query_text})",
        state=state,
        series=tuple(series),
        window_seconds=baseline.window_seconds,
        message=message,
        source=current.source,
        notes=current.notes + baseline.notes,
        coverage=_both(current, baseline),
    )


def requiring(answer: Answer, label: str, values: tuple[str, ...]) -> Answer:
    """The answer, or no_data naming every required ``label`` value that has no series (also
    when no series matched at all)."""
    checked = answer.checked()
    if checked.state is DataState.ERROR or (checked.state is not DataState.OK and checked.series):
        return checked
    present = {s.label_map.get(label) for s in checked.series}
    absent = [v for v in values if v not in present]
    if not absent:
        return checked
    return checked.with_state(DataState.NO_DATA, f"no series for {label} {', '.join(absent)}")


def hit_share(hits_per_miss: Answer, misses_per_hit: Answer) -> Answer:
    """hits / (hits + misses) per series from the two counter ratios, lookups as ``samples``.

    With H hits and M misses: M > 0 gives ``r = H/M`` and the share ``r / (1 + r)`` over
    ``M (1 + r)`` lookups; M = 0 with H > 0 gives ``M/H = 0``, a share of 1 over H lookups. No
    lookups at all leaves both ratios without data, so the share is no_data; an error stays one.
    """
    by_misses, by_hits = hits_per_miss.checked(), misses_per_hit.checked()
    for part in (by_misses, by_hits):
        if part.state is DataState.ERROR or (part.coverage is not None and part.coverage.sparse):
            return part
    series: dict[Labels, SeriesValue] = {}
    if by_hits.state is DataState.OK:
        for s in by_hits.series:
            series[s.labels] = SeriesValue(s.labels, 1.0 / (1.0 + s.value), _times(s, s.value))
    if by_misses.state is DataState.OK:
        for s in by_misses.series:
            series[s.labels] = SeriesValue(s.labels, s.value / (1.0 + s.value), _times(s, s.value))
    state, message = DataState.OK, ""
    if not series:
        state = DataState.NO_DATA
        message = f"no cache lookups: {by_misses.message}"
    return Answer(
        query_text=f"hits / (hits + misses) from {by_misses.query_text} and {by_hits.query_text}",
        state=state,
        series=tuple(series[k] for k in sorted(series)),
        window_seconds=by_misses.window_seconds,
        message=message,
        source=by_misses.source,
        notes=by_misses.notes + by_hits.notes,
        coverage=_both(by_misses, by_hits),
    )


def _both(first: Answer, second: Answer) -> Coverage | None:
    """The coverage of an answer derived from two (either may have none)."""
    if first.coverage is None:
        return second.coverage
    return first.coverage.combined(second.coverage)


def _times(series: SeriesValue, ratio: float) -> float | None:
    """Lookups behind a counter ratio: its denominator times (1 + ratio)."""
    return None if series.samples is None else series.samples * (1.0 + ratio)


def _key(labels: Labels) -> Labels:
    return tuple((k, v) for k, v in labels if k != NAME_LABEL)


def against_baseline(canary: Answer, baseline: Answer, min_samples: float) -> Answer:
    """``canary / baseline`` of two single-value answers (one side's p95 over the other's).

    Either side failing, or with fewer samples than ``min_samples``, makes the answer no_data (an
    error stays one) naming the side; so does a baseline of 0. ``samples`` is the smaller side's.
    """
    problems: list[str] = []
    states: list[DataState] = []
    values: dict[str, SeriesValue] = {}
    for name, answer in ((CANARY, canary.checked()), (BASELINE, baseline.checked())):
        if answer.state is not DataState.OK:
            problems.append(f"{name}: {answer.message}")
            states.append(answer.state)
            continue
        worst = max(answer.series, key=lambda s: s.value)
        counted = answer.samples
        samples = counted if counted is not None and math.isfinite(counted) else 0.0
        if samples < min_samples:
            problems.append(
                f"{name}: {samples:g} observations in the window, fewer than the floor of "
                f"{min_samples:g}"
            )
            states.append(DataState.NO_DATA)
        values[name] = SeriesValue(worst.labels, worst.value, samples)
    if not problems and values[BASELINE].value <= 0:
        problems.append(
            f"{BASELINE}: a value of {values[BASELINE].value:g}, nothing to compare with"
        )
        states.append(DataState.NO_DATA)
    state = DataState.ERROR if DataState.ERROR in states else states[0] if states else DataState.OK
    series: tuple[SeriesValue, ...] = ()
    if state is DataState.OK:
        c, b = values[CANARY], values[BASELINE]
        series = (SeriesValue((), c.value / b.value, min(c.samples or 0.0, b.samples or 0.0)),)
    return Answer(
        query_text=f"({canary.query_text}) / ({baseline.query_text})",
        state=state,
        series=series,
        window_seconds=canary.window_seconds,
        message="; ".join(problems),
        source=canary.source,
        notes=canary.notes + baseline.notes,
        coverage=_both(canary, baseline),
    )


def both_values(canary: Answer, baseline: Answer, unit: str) -> str:
    """``canary 2.42 s, baseline 0.97 s`` when both sides have a value, else ``""``."""
    shown = []
    for name, answer in ((CANARY, canary.checked()), (BASELINE, baseline.checked())):
        if answer.state is not DataState.OK:
            return ""
        shown.append(f"{name} {max(s.value for s in answer.series):.2f} {unit}")
    return ", ".join(shown)
