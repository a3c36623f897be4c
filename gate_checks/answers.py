"""Answers derived from answers (pure): a per-series ratio, required series, a quiet comparison.

Checks combine what the snapshot returned without I/O and without try/except: every function here
keeps a failed state failed, so missing data still fails closed in the observer.
"""

from __future__ import annotations

from pytest_gate.observe import COMPARISONS
from pytest_gate.query import Answer, DataState, SeriesValue

NAME_LABEL = "__name__"
Labels = tuple[tuple[str, str], ...]


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
    )


def requiring(answer: Answer, label: str, values: tuple[str, ...]) -> Answer:
    """The answer, or no_data naming every required ``label`` value that has no series."""
    checked = answer.checked()
    if checked.state is not DataState.OK:
        return checked
    present = {s.label_map.get(label) for s in checked.series}
    absent = [v for v in values if v not in present]
    if not absent:
        return checked
    return Answer(
        query_text=checked.query_text,
        state=DataState.NO_DATA,
        series=checked.series,
        window_seconds=checked.window_seconds,
        message=f"no series for {label} {', '.join(absent)}",
        source=checked.source,
        notes=checked.notes,
    )


def _key(labels: Labels) -> Labels:
    return tuple((k, v) for k, v in labels if k != NAME_LABEL)
