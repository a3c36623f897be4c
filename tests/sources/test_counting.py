"""Exact window counting of one counter series (pure): DESIGN §2 at every edge."""

from __future__ import annotations

import math

import pytest

from pytest_gate.core.query import Labels
from pytest_gate.sources import counting
from pytest_gate.stats.histogram import bucket_quantiles

START = 1000.0
"""The window's start T - w: samples at or before it are outside the window."""


@pytest.mark.parametrize(
    ("base", "points", "expected"),
    [
        # steady growth from a base just before the window
        (10.0, ((1030.0, 12.0), (1060.0, 15.0)), 5.0),
        # a scrape gap inside the window: bridged, the increments made in it count
        (10.0, ((1030.0, 11.0), (1400.0, 40.0), (1430.0, 41.0)), 31.0),
        # a gap across the window's start: the old base bridges it
        (10.0, ((1300.0, 25.0),), 15.0),
        # born inside: the first sample's value counts
        (None, ((1030.0, 3.0), (1060.0, 3.0)), 3.0),
        # born with repairs, then a reset to 0: the 3 before it still count
        (None, ((1030.0, 3.0), (1060.0, 3.0), (1090.0, 0.0), (1120.0, 0.0)), 3.0),
        # born with 5 errors, two resets with errors after each
        (None, ((1030.0, 5.0), (1060.0, 1.0), (1090.0, 2.0), (1120.0, 0.0), (1150.0, 4.0)), 11.0),
        # a reset between the base and the first sample in the window
        (50.0, ((1030.0, 4.0), (1060.0, 9.0)), 9.0),
        # the reset sample is the base itself (at exactly the start): nothing before it counts
        (2.0, ((1000.0, 2.0), (1030.0, 5.0), (1900.0, 7.0)), 5.0),
        # a sample exactly at the start is not in the window (Prometheus 2.x returns it)
        (7.0, ((1000.0, 7.0), (1030.0, 8.0)), 1.0),
        # no sample in the window: nothing counted
        (7.0, (), 0.0),
        # integer counters stay integers: 3 repairs read exactly 3
        (100.0, ((1030.0, 101.0), (1500.0, 103.0), (1990.0, 103.0)), 3.0),
    ],
    ids=[
        "steady",
        "gap-inside",
        "gap-at-start",
        "born",
        "born-then-reset",
        "born-reset-twice",
        "reset-before-first-sample",
        "reset-at-start",
        "sample-at-start",
        "no-sample",
        "integer",
    ],
)
def test_window_count(base: float | None, points: counting.Points, expected: float) -> None:
    """Each edge of the counting rule gives the exact count, with no extrapolation."""
    assert counting.window_count(base, points, START) == expected


@pytest.mark.parametrize(
    ("base", "last", "expected"),
    [(10.0, 15.0, 5.0), (None, 3.0, 3.0), (10.0, 4.0, 4.0), (10.0, 10.0, 0.0)],
    ids=["with-base", "born", "below-base", "unchanged"],
)
def test_quick_count(base: float | None, last: float, expected: float) -> None:
    """The engine-side count: last minus base, or the last value where born or below the base."""
    assert counting.quick_count(base, last) == expected


A: Labels = (("instance", "a"), ("mode", "fast"))
B: Labels = (("instance", "b"), ("mode", "fast"))


def test_corrections_bring_quick_sums_to_the_exact_count() -> None:
    """A series that reset adds what its quick count missed; its group's sum becomes exact."""
    samples = {A: ((1030.0, 3.0), (1060.0, 0.0), (1090.0, 1.0))}
    fixes = counting.corrections({}, samples, START)
    assert fixes == {A: 3.0}  # quick count 1 (last), exact 3 + 1
    quick = {(("mode", "fast"),): 1.0 + 6.0}  # a's quick 1, b's 6
    assert counting.regrouped(quick, fixes, ("mode",)) == {(("mode", "fast"),): 10.0}


def test_corrections_leave_other_groups_alone() -> None:
    """Only the group of the series that reset changes."""
    fixes = {A: 2.0}
    sums = {(("instance", "a"),): 1.0, (("instance", "b"),): 5.0}
    assert counting.regrouped(sums, fixes, ("instance",)) == {
        (("instance", "a"),): 3.0,
        (("instance", "b"),): 5.0,
    }


@pytest.mark.parametrize(
    ("base_time", "points", "expected"),
    [
        (990.0, ((1020.0, 1.0), (1050.0, 2.0)), 30.0),
        (700.0, ((1200.0, 1.0), (1230.0, 2.0)), 500.0),
        (990.0, ((1020.0, 1.0), (1400.0, 2.0)), 380.0),
        (None, ((1020.0, 1.0),), None),
    ],
    ids=["regular", "gap-at-start", "gap-inside", "single-born"],
)
def test_longest_gap_runs_from_the_base(
    base_time: float | None, points: counting.Points, expected: float | None
) -> None:
    """The longest gap between consecutive samples counts the one after the base."""
    assert counting.longest_gap(base_time, points, START) == expected


def test_bucket_quantiles_from_exact_counts() -> None:
    """The quantile of exact bucket counts, per group, as Prometheus' histogram_quantile."""
    buckets = {
        (("le", "1.0"), ("mode", "fast")): 50.0,
        (("le", "2.0"), ("mode", "fast")): 100.0,
        (("le", "+Inf"), ("mode", "fast")): 100.0,
    }
    values = bucket_quantiles(buckets, 0.5, ("mode",))
    assert values == {(("mode", "fast"),): 1.0}
    assert math.isnan(bucket_quantiles({(("le", "+Inf"),): 0.0}, 0.5, ())[()])
