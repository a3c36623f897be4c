"""Robust trend of a time series: the Theil-Sen slope (pure).

The Theil-Sen estimator is the median of the slopes between every pair of points. Up to about 29%
of the points can be arbitrary outliers (a scrape glitch, one bad evaluation) without moving it,
unlike a least-squares fit, where one spike can flip the sign of the trend.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import median

from pytest_gate.core.query import Answer, DataState, SeriesValue

SECONDS_PER_HOUR = 3600.0
MAX_POINTS = 600
"""Longer series are thinned evenly to this many points (pairs grow with the square)."""


def finite_points(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The points whose time and value are both finite numbers."""
    return [(t, y) for t, y in points if math.isfinite(t) and math.isfinite(y)]


def theil_sen_slope(points: Sequence[tuple[float, float]]) -> float:
    """Median pairwise slope of ``(t, y)`` points, in y per unit of t; NaN without two times.

    Non-finite points are ignored; pairs with equal ``t`` have no slope and are skipped. Series
    longer than :data:`MAX_POINTS` are thinned evenly first.
    """
    finite = finite_points(points)
    if len(finite) > MAX_POINTS:
        stride = len(finite) / MAX_POINTS
        finite = [finite[int(i * stride)] for i in range(MAX_POINTS)]
    slopes = [
        (y2 - y1) / (t2 - t1)
        for i, (t1, y1) in enumerate(finite)
        for t2, y2 in finite[i + 1 :]
        if t2 != t1
    ]
    return median(slopes) if slopes else math.nan


def slopes(answer: Answer, min_points: int, per_seconds: float = SECONDS_PER_HOUR) -> Answer:
    """Turn a range answer into one slope per series (y per ``per_seconds``).

    Each series' ``samples`` is its number of finite points. A series with fewer than
    ``min_points`` makes the answer no_data, naming the series; a failed answer passes through.
    """
    if answer.state is not DataState.OK:
        return answer
    series = tuple(
        SeriesValue(
            labels=s.labels,
            value=theil_sen_slope(s.points) * per_seconds,
            samples=float(len(finite_points(s.points))),
            points=s.points,
        )
        for s in answer.series
    )
    short = [s for s in series if s.samples is not None and s.samples < min_points]
    state: DataState = answer.state
    message, cause = answer.message, answer.cause
    if short:
        cause = ""
        state = DataState.NO_DATA
        message = "fewer points than the floor of {} for a trend ({})".format(
            min_points, ", ".join(f"{s.describe()}: {s.samples:g}" for s in short)
        )
    return Answer(
        query_text=f"theil_sen_slope({answer.query_text})",
        state=state,
        series=series,
        window_seconds=answer.window_seconds,
        message=message,
        cause=cause,
        source=answer.source,
        notes=answer.notes,
    )
