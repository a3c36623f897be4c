"""Bounds on instants and spans of seconds given by users (pure)."""

from __future__ import annotations

import math

import pytest

from pytest_gate.core.instants import MAX_SPAN_SECONDS, instant_problem, span_problem


@pytest.mark.parametrize("seconds", [1.0, 1_764_313_200.0, 253_402_300_799.0])
def test_real_instants_have_no_problem(seconds: float) -> None:
    """From just after the epoch to the end of year 9999."""
    assert instant_problem(seconds) is None


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1_764_313_200_000.0, "looks like milliseconds; give seconds (1764313200.000)"),
        (1e308, "after the year 9999, not a unix time in seconds"),
        (math.inf, "not a positive, finite number"),
        (math.nan, "not a positive, finite number"),
        (0.0, "not a positive, finite number"),
        (-5.0, "not a positive, finite number"),
    ],
)
def test_impossible_instants_are_named(seconds: float, words: str) -> None:
    """Milliseconds get a hint; the rest say what is wrong."""
    problem = instant_problem(seconds)
    assert problem is not None and words in problem


@pytest.mark.parametrize(
    ("seconds", "ok"),
    [
        (0.5, True),
        (MAX_SPAN_SECONDS, True),
        (MAX_SPAN_SECONDS + 1, False),
        (1e308, False),
        (0.0, False),
        (-1.0, False),
        (math.nan, False),
        (math.inf, False),
    ],
)
def test_spans_are_positive_and_at_most_a_week(seconds: float, ok: bool) -> None:
    """A deadline of 1e308 s would overflow a socket timeout: a week is the most."""
    assert (span_problem(seconds) is None) is ok
