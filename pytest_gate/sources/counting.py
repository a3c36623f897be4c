"""Exact window counting of counter series (pure; no I/O, no PromQL).

DESIGN §2 "Exact window counting": what a counter did in the window (T - w, T] is computed per
series, from its samples, never from an engine's ``increase()``:

- the **base** is the series' last sample at or before T - w (looked up as far back as
  ``[gate] lookback_seconds``); every increment after it counts, however long the scrapes paused;
- a series with **no base** began inside the window and is counted from zero: its first sample's
  value is part of the count;
- a **reset** (a value below the one before) starts a new run from zero: what was counted before
  it and after it both count;
- nothing is extrapolated, so integer counters give integer counts.

The Prometheus source asks the engine for a *quick* count per series (:func:`quick_count`: the last
value minus the base, or the last value where the series was born or fell below its base), which is
exact for every series that did not reset, and fetches raw samples only for the series that did;
:func:`corrections` is what those series add to the quick sums.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from itertools import pairwise

from pytest_gate.core.query import Labels, group_key

Points = tuple[tuple[float, float], ...]
"""``(unix seconds, value)`` samples of one series, in time order."""


def window_count(base: float | None, points: Points, start: float) -> float:
    """What one counter series did in ``(start, T]``: the exact count of DESIGN §2.

    ``base`` is the value of the last sample at or before ``start`` (``None``: born inside the
    window, counted from zero); ``points`` are the series' samples (those at or before ``start``
    are ignored, so both engines' range conventions give the same count).
    """
    previous = 0.0 if base is None else base
    total = 0.0
    for timestamp, value in points:
        if timestamp <= start:
            continue
        total += value - previous if value >= previous else value
        previous = value
    return total


def quick_count(base: float | None, last: float) -> float:
    """The count that needs no raw samples: exact unless the series reset in the window.

    ``last - base``; the last value itself for a series born inside the window or whose last value
    fell below its base (a reset: at least what came after it). Mirrors
    :func:`pytest_gate.sources.promql.counted`.
    """
    if base is None or last < base:
        return last
    return last - base


def corrections(
    bases: Mapping[Labels, float], samples: Mapping[Labels, Points], start: float
) -> dict[Labels, float]:
    """Per series, what its exact count adds to its :func:`quick_count` (series that reset)."""
    fixes: dict[Labels, float] = {}
    for labels, points in samples.items():
        if not points:
            continue
        base = bases.get(labels)
        fixes[labels] = window_count(base, points, start) - quick_count(base, points[-1][1])
    return fixes


def regrouped(
    sums: Mapping[Labels, float], fixes: Mapping[Labels, float], by: tuple[str, ...]
) -> dict[Labels, float]:
    """``sums`` (``sum by (<by>)`` of quick counts) with each series' correction added to its group."""
    extra: dict[Labels, float] = defaultdict(float)
    for labels, fix in fixes.items():
        extra[group_key(labels, by)] += fix
    result = dict(sums)
    for group, fix in extra.items():
        if fix:
            result[group] = result.get(group, 0.0) + fix
    return result


def longest_gap(base_time: float | None, points: Points, start: float) -> float | None:
    """The longest time between two consecutive samples, from the base to the last one in the window."""
    times = [t for t, _ in points if t > start]
    if base_time is not None:
        times.insert(0, base_time)
    gaps = [b - a for a, b in pairwise(times)]
    return max(gaps, default=None)
