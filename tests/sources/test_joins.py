"""Joining per-group numerators, denominators and counts (pure)."""

from __future__ import annotations

import math

from pytest_gate.sources.joins import join_quantile, join_ratio

FAST = (("mode", "fast"),)
SLOW = (("mode", "slow"),)


def test_absent_numerator_with_traffic_is_a_real_zero() -> None:
    """0 fixes out of 10 briefs is 0, with the denominator as its samples."""
    joined = join_ratio({}, {FAST: 10.0})
    assert [(s.value, s.samples) for s in joined.series] == [(0.0, 10.0)]


def test_zero_denominator_group_is_left_out() -> None:
    """A group without traffic is left out, the others are kept."""
    joined = join_ratio({FAST: 1.0}, {FAST: 4.0, SLOW: 0.0})
    assert [s.labels for s in joined.series] == [FAST]


def test_no_traffic_anywhere_gives_a_cause() -> None:
    """With every denominator at 0 nothing is left and the cause says no traffic."""
    joined = join_ratio({}, {FAST: 0.0})
    assert (joined.series, joined.empty_cause) == (
        (),
        "no traffic: the denominator is 0 for every group",
    )


def test_absent_denominator_gives_a_cause() -> None:
    """With no denominator series at all, the cause says so."""
    assert join_ratio({FAST: 1.0}, {}).empty_cause == "no traffic: the denominator has no series"


def test_numerator_without_denominator_is_noted() -> None:
    """A numerator group with no matching denominator is named in the notes."""
    joined = join_ratio({SLOW: 1.0}, {FAST: 2.0})
    assert any("mode=slow" in note for note in joined.notes)


def test_idle_quantile_group_is_left_out() -> None:
    """A NaN quantile with zero observations is an idle group, left out."""
    joined = join_quantile({FAST: 2.0, SLOW: math.nan}, {FAST: 5.0, SLOW: 0.0})
    assert [s.labels for s in joined.series] == [FAST]


def test_nan_quantile_with_observations_is_kept() -> None:
    """A NaN quantile despite observations is kept, so the answer becomes no data, not a pass."""
    joined = join_quantile({FAST: math.nan}, {FAST: 5.0})
    assert math.isnan(joined.series[0].value)


def test_dropped_nan_quantile_of_an_idle_group_says_no_observations() -> None:
    """VictoriaMetrics drops the NaN quantile Prometheus returns: the same idle diagnosis."""
    prometheus = join_quantile({FAST: math.nan}, {FAST: 0.0})
    victoria = join_quantile({}, {FAST: 0.0})
    assert victoria == prometheus
    assert victoria.empty_cause == "no observations in the window"


def test_dropped_quantile_with_observations_is_a_nan_series() -> None:
    """A count without its quantile is kept as NaN, so the answer is no data, as on Prometheus."""
    joined = join_quantile({}, {FAST: 5.0})
    assert math.isnan(joined.series[0].value)
