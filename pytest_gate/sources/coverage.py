"""Window coverage of a counter answer, from the raw samples of its traffic series (pure; no I/O).

DESIGN §2 "Window coverage": every counter answer says how many samples it stands on, how old the
oldest one is, and which series began inside the window; a traffic series with fewer than two
samples in the window makes the answer no_data, with a message that names the target and the wait.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from pytest_gate.core.durations import duration
from pytest_gate.core.query import Answer, Coverage, DataState, Labels, targets_text
from pytest_gate.sources.base import query_suffix

Points = tuple[tuple[float, float], ...]


def measure(
    samples: Mapping[Labels, Points],
    born: Mapping[Labels, float],
    at: float,
    window_seconds: int,
) -> Coverage:
    """Coverage from the window's raw samples per series and the series born inside it."""
    counts = {labels: len(points) for labels, points in samples.items() if points}
    firsts = [points[0][0] for points in samples.values() if points]
    spans = [
        (points[-1][0] - points[0][0]) / (len(points) - 1)
        for points in samples.values()
        if len(points) >= 2
    ]
    sparse = sorted(labels for labels, n in counts.items() if n < 2)
    return Coverage(
        window_seconds=window_seconds,
        series=len(counts),
        samples=sum(counts.values()),
        fewest_samples=min(counts.values(), default=0),
        oldest_age_seconds=(at - min(firsts)) if firsts else None,
        interval_seconds=_median(spans),
        born_inside=tuple(sorted(born)),
        sparse=tuple(sparse),
    )


def sparse_cause(coverage: Coverage, source_name: str) -> str:
    """Why an answer whose traffic series have fewer than two samples is no data, and the wait."""
    shown = targets_text(coverage.sparse)
    window = duration(coverage.window_seconds)
    return (
        f"{source_name} has scraped {shown} only once in this {window} window, so no increase "
        "can be measured there; run again after the next scrape"
    )


def applied(answer: Answer, coverage: Coverage, source_name: str) -> Answer:
    """``answer`` carrying ``coverage``; an OK answer on too few samples becomes no data."""
    covered = dataclasses.replace(answer, coverage=coverage)
    if covered.state is not DataState.OK or not coverage.sparse:
        return covered
    cause = sparse_cause(coverage, source_name)
    return covered.with_state(
        DataState.NO_DATA, cause + query_suffix(answer.query_text), cause=cause
    )


def _median(values: list[float]) -> float | None:
    """The median, or ``None`` for no values (``statistics`` costs a millisecond to import)."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
