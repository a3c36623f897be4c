"""Downshift: availability, latency breakers (consecutive, cooldown) and one-level recovery."""

from __future__ import annotations

import pytest

from serving.config import DEFAULT_BREAKER_SECONDS, MODES
from serving.downshift import Downshift

ALL = set(MODES)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def downshift(clock: Clock) -> Downshift:
    return Downshift(
        MODES,
        DEFAULT_BREAKER_SECONDS,
        consecutive=3,
        cooldown_seconds=60,
        recovery_seconds=300,
        clock=clock,
    )


def _trip(downshift: Downshift, mode: str) -> None:
    for _ in range(3):
        downshift.record(mode, DEFAULT_BREAKER_SECONDS[mode] + 0.1)


def test_every_mode_serves_itself_when_healthy(downshift: Downshift) -> None:
    """No faults: each mode is served by its own model."""
    assert [downshift.route(mode, ALL) for mode in MODES] == list(MODES)


@pytest.mark.parametrize(
    ("available", "served"),
    [({"balanced", "fast"}, "balanced"), ({"fast"}, "fast"), (set(), None)],
    ids=["creative unloaded", "creative and balanced unloaded", "nothing loaded"],
)
def test_unavailable_model_shifts_down(
    downshift: Downshift, available: set[str], served: str | None
) -> None:
    """Creative goes to the first loaded mode below it, or nowhere."""
    assert downshift.route("creative", available) == served


def test_requests_never_shift_up(downshift: Downshift) -> None:
    """A fast request with the fast model away finds no model (it never goes up)."""
    assert downshift.route("fast", {"creative", "balanced"}) is None


def test_three_slow_requests_in_a_row_open_the_breaker(downshift: Downshift) -> None:
    """Three creative answers over 6.0 s in a row send creative traffic to balanced."""
    _trip(downshift, "creative")
    assert downshift.route("creative", ALL) == "balanced"


def test_a_fast_answer_resets_the_count(downshift: Downshift) -> None:
    """Slow, slow, fine, slow: never three in a row, the breaker stays closed."""
    for latency in (6.5, 6.5, 1.0, 6.5):
        downshift.record("creative", latency)
    assert downshift.route("creative", ALL) == "creative"


def test_latency_at_the_limit_is_not_slow(downshift: Downshift) -> None:
    """Exactly 6.0 s is within the creative limit."""
    for _ in range(3):
        downshift.record("creative", 6.0)
    assert downshift.route("creative", ALL) == "creative"


def test_cooldown_stops_a_second_trip_within_60_s(downshift: Downshift, clock: Clock) -> None:
    """Balanced cannot trip 30 s after creative did; it can after the 60 s cooldown."""
    _trip(downshift, "creative")
    clock.now += 30
    _trip(downshift, "balanced")
    assert downshift.route("creative", ALL) == "balanced"
    clock.now += 31
    _trip(downshift, "balanced")
    assert downshift.route("creative", ALL) == "fast"


def test_recovery_climbs_back_one_level_per_5_minutes(downshift: Downshift, clock: Clock) -> None:
    """Creative at fast recovers to balanced after 300 s, to creative after 300 s more."""
    _trip(downshift, "creative")
    clock.now += 60
    _trip(downshift, "balanced")
    served = []
    for _ in range(3):
        served.append(downshift.route("creative", ALL))
        clock.now += 300
    assert served == ["fast", "balanced", "creative"]


def test_breaker_open_with_nowhere_lower_still_serves(downshift: Downshift) -> None:
    """A slow fast model keeps serving fast requests: there is nothing below it."""
    _trip(downshift, "fast")
    assert downshift.route("fast", ALL) == "fast"


def test_stats_report_routes_breakers_and_counts(downshift: Downshift) -> None:
    """Stats show the open breaker, the current route and the downshifted request count."""
    _trip(downshift, "creative")
    downshift.route("creative", ALL)
    stats = downshift.stats(ALL)
    assert stats["breakers"]["creative"]["state"] == "open"
    assert stats["routes"]["creative"] == "balanced"
    assert stats["downshifted_requests"] == {"creative->balanced": 1}
    assert [event["event"] for event in stats["events"]] == ["open"]
