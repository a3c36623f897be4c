"""Window coverage of a counter answer, from the raw samples of its traffic series (pure; no I/O).

DESIGN §2 "Window coverage": every counter answer says how many samples it stands on, how old the
oldest one is, which series began inside the window (no base in the look-back), and what gaps were
bridged (the longest gap, the oldest base's age); a traffic series with neither a base nor two
samples in the window makes the answer no_data, with a message that names the target and the wait.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from pytest_gate.core.durations import duration
from pytest_gate.core.query import Answer, Coverage, DataState, Labels, targets_text
from pytest_gate.sources.base import query_suffix
from pytest_gate.sources.counting import longest_gap

Points = tuple[tuple[float, float], ...]


def measure(
    samples: Mapping[Labels, Points],
    base_times: Mapping[Labels, float],
    at: float,
    window_seconds: int,
) -> Coverage:
    """Coverage from the window's raw traffic samples per series and their bases' times.

    A series without a base began inside the window (counted from zero); one without a base and
    with fewer than two samples is sparse. The longest gap runs from the base to the last sample.
    """
    start = at - window_seconds
    inside = {
        labels: tuple(p for p in points if p[0] > start) for labels, points in samples.items()
    }
    inside = {labels: points for labels, points in inside.items() if points}
    counts = {labels: len(points) for labels, points in inside.items()}
    firsts = [points[0][0] for points in inside.values()]
    spans = [
        (points[-1][0] - points[0][0]) / (len(points) - 1)
        for points in inside.values()
        if len(points) >= 2
    ]
    born = sorted(labels for labels in inside if labels not in base_times)
    sparse = sorted(labels for labels in born if counts[labels] < 2)
    gaps = [longest_gap(base_times.get(labels), points, start) for labels, points in inside.items()]
    bases = [base_times[labels] for labels in inside if labels in base_times]
    return Coverage(
        window_seconds=window_seconds,
        series=len(counts),
        samples=sum(counts.values()),
        fewest_samples=min(counts.values(), default=0),
        oldest_age_seconds=(at - min(firsts)) if firsts else None,
        interval_seconds=_median(spans),
        born_inside=tuple(born),
        sparse=tuple(sparse),
        longest_gap_seconds=max((g for g in gaps if g is not None), default=None),
        base_age_seconds=(at - min(bases)) if bases else None,
    )


def sparse_cause(coverage: Coverage, source_name: str) -> str:
    """Why an answer whose traffic series have fewer than two samples is no data, and the wait."""
    shown = targets_text(coverage.sparse)
    window = duration(coverage.window_seconds)
    return (
        f"{source_name} has scraped {shown} only once in this {window} window and never in the "
        "look-back before it, so no increase can be measured there; run again after the next "
        "scrape"
    )


def applied(answer: Answer, coverage: Coverage, source_name: str) -> Answer:
    """``answer`` carrying ``coverage``; an OK answer on too few samples becomes no data."""
    covered = dataclasses.replace(answer, coverage=coverage)
    if covered.state is not DataState.OK or not coverage.sparse:
        return covered
    cause = sparse_cause(coverage, source_name)
    return covered.with_state(DataState.NO_DATA, cause + query_suffix(answer.query_text))


def _median(values: list[float]) -> float | None:
    """The median, or ``None`` for no values (``statistics`` costs a millisecond to import)."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
