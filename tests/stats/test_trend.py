"""The robust trend: Theil-Sen slopes of range answers."""

from __future__ import annotations

import math

import pytest

from pytest_gate.core.query import Answer, DataState, SeriesValue
from pytest_gate.stats.trend import MAX_POINTS, slopes, theil_sen_slope


def line(
    slope: float, n: int, step: float = 60.0, start: float = 1000.0
) -> list[tuple[float, float]]:
    return [(start + i * step, 5.0 + slope * i * step) for i in range(n)]


def range_answer(*series: tuple[dict[str, str], list[tuple[float, float]]]) -> Answer:
    return Answer(
        query_text='rl_reward_ma{window="100"}',
        state=DataState.OK,
        series=tuple(
            SeriesValue(tuple(sorted(labels.items())), points[-1][1], points=tuple(points))
            for labels, points in series
        ),
        window_seconds=7200,
    )


@pytest.mark.parametrize("slope", [0.5, 0.0, -0.002])
def test_slope_of_a_straight_line_is_exact(slope: float) -> None:
    """On a straight line the estimate is the line's slope."""
    assert theil_sen_slope(line(slope, 20)) == pytest.approx(slope)


def test_outliers_do_not_flip_the_sign() -> None:
    """A rising series with a few huge negative spikes still has a positive slope."""
    points = line(0.01, 40)
    for index in (5, 17, 33):
        points[index] = (points[index][0], -1000.0)
    assert theil_sen_slope(points) == pytest.approx(0.01)


def test_least_squares_would_have_been_fooled() -> None:
    """The same spikes drag a least-squares slope negative (why the robust slope is used)."""
    points = line(0.01, 40)
    points[-1] = (points[-1][0], -1000.0)
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    ols = sum((t - mean_t) * (y - mean_y) for t, y in points) / sum(
        (t - mean_t) ** 2 for t, _ in points
    )
    assert ols < 0 < theil_sen_slope(points)


def test_non_finite_points_are_ignored() -> None:
    """NaN values in a range are skipped, not propagated."""
    points = line(0.2, 10)
    points[3] = (points[3][0], math.nan)
    assert theil_sen_slope(points) == pytest.approx(0.2)


@pytest.mark.parametrize("points", [[], [(1.0, 2.0)], [(1.0, 2.0), (1.0, 3.0)]])
def test_without_two_distinct_times_the_slope_is_nan(points: list[tuple[float, float]]) -> None:
    """No slope can be estimated from fewer than two distinct times."""
    assert math.isnan(theil_sen_slope(points))


def test_long_series_are_thinned_but_keep_the_slope() -> None:
    """More than MAX_POINTS points are thinned evenly and give the same slope."""
    assert theil_sen_slope(line(-0.3, MAX_POINTS * 3, step=1.0)) == pytest.approx(-0.3)


def test_slopes_are_per_series_and_per_hour() -> None:
    """Every series gets its own slope, scaled to units per hour, with its point count."""
    answer = slopes(
        range_answer(
            ({"algorithm": "ppo"}, line(1 / 3600, 30)), ({"algorithm": "dpo"}, line(-2 / 3600, 31))
        ),
        min_points=30,
    )
    assert answer.state is DataState.OK
    assert [(s.label_map["algorithm"], round(s.value, 6), s.samples) for s in answer.series] == [
        ("ppo", 1.0, 30.0),
        ("dpo", -2.0, 31.0),
    ]


def test_a_series_below_the_point_floor_makes_the_answer_no_data() -> None:
    """Too few points on any series is no_data, naming that series and its count."""
    answer = slopes(
        range_answer(({"algorithm": "ppo"}, line(0.1, 30)), ({"algorithm": "dpo"}, line(0.1, 4))),
        min_points=30,
    )
    assert answer.state is DataState.NO_DATA
    assert answer.message == "fewer points than the floor of 30 for a trend (algorithm=dpo: 4)"


def test_a_failed_answer_passes_through() -> None:
    """An error answer stays an error; no slope is invented."""
    failed = Answer(query_text="x", state=DataState.ERROR, message="HTTP 500")
    assert slopes(failed, min_points=3) is failed
