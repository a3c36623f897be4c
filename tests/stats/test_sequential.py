"""The canary across watch rounds (pure): disjoint increments, the state a round hands on, SRM."""

from __future__ import annotations

import pytest

from pytest_gate.stats.comparison import CanaryComparison, compare
from pytest_gate.stats.eprocess import Increment, Mixture
from pytest_gate.stats.sequential import (
    E_PROCESS_TEST,
    CanaryRound,
    CountsWentDown,
    WatchState,
    advance,
)
from pytest_gate.stats.sides import Side

T = 1_800_000_000.0


def sides(ce: int, cr: int, be: int, br: int) -> tuple[Side, Side]:
    return Side("canary", ce, cr), Side("baseline", be, br)


def test_the_first_round_anchors_at_its_window_and_counts_it_whole() -> None:
    """Round 1: anchor T - window, its increment is its whole window."""
    result = advance(CanaryRound(T, watching=True), *sides(4, 1000, 1, 2000), 600, 1.0)
    assert result.state.anchor == T - 600 and result.state.rounds == 1
    assert result.increment == Increment(4, 1000, 1, 2000)


def test_a_later_round_counts_since_the_anchor_and_bets_on_the_difference() -> None:
    """Round 2 asks for T2 - anchor seconds and adds only what came since round 1."""
    first = advance(CanaryRound(T, watching=True), *sides(4, 1000, 1, 2000), 600, 1.0)
    now = CanaryRound(T + 60, watching=True, previous=first.state)
    assert now.window_seconds(600) == 660
    second = advance(now, *sides(8, 2000, 2, 4000), 660, 1.0)
    assert second.increment == Increment(4, 1000, 1, 2000)
    expected = Mixture().updated(Increment(4, 1000, 1, 2000)).updated(Increment(4, 1000, 1, 2000))
    assert second.state.mixture == expected
    assert second.state.e_max == max(first.e_value, second.e_value)


def test_counts_that_go_down_cannot_make_an_increment() -> None:
    """Fewer requests than the previous round: no disjoint increment exists, it says so."""
    first = advance(CanaryRound(T, watching=True), *sides(4, 1000, 1, 2000), 600, 1.0)
    later = CanaryRound(T + 60, watching=True, previous=first.state)
    with pytest.raises(CountsWentDown, match="fell below the previous round's"):
        advance(later, *sides(4, 900, 1, 2100), 660, 1.0)


def test_the_state_reads_back_exactly_from_its_json() -> None:
    """What a round writes into its report is what the next round reads."""
    state = advance(CanaryRound(T, watching=True), *sides(4, 1000, 1, 2000), 600, 3.5).state
    assert WatchState.from_json(state.to_json()) == state


def test_a_one_shot_run_keeps_its_window_and_fisher() -> None:
    """Outside a watch the window is the check's own and the test is Fisher's."""
    now = CanaryRound(T)
    assert now.window_seconds(600) == 600
    result = compare(*sides(12, 4000, 3, 8000), alpha=0.01, max_ratio=0.005, what="5xx", now=now)
    assert result.fisher is not None and result.sequential is None


def test_a_watch_round_judges_by_the_e_value_and_says_so() -> None:
    """In a watch the comparison is the e-process: e >= 1/alpha is significant."""
    now = CanaryRound(T, watching=True)
    result = compare(
        *sides(40, 10000, 5, 20000), alpha=0.01, max_ratio=0.005, what="5xx", now=now,
        window_seconds=600,
    )  # fmt: skip
    data = result.to_json()
    assert data["test"] == E_PROCESS_TEST and data["e_value"] >= 100 and result.significant
    assert data["anytime_p_value"] == pytest.approx(1 / data["e_max"])
    assert "since the watch began, e=" in result.summary()
    assert CanaryComparison.from_json(data) == result


def test_an_off_split_is_a_mismatch_and_a_matching_one_is_not() -> None:
    """A tenth of the traffic where a third was expected: mismatch; a third: none."""
    off = compare(
        *sides(0, 1000, 0, 9000), alpha=0.01, max_ratio=0.005, what="5xx", expected_share=1 / 3
    )
    fine = compare(
        *sides(0, 3000, 0, 6000), alpha=0.01, max_ratio=0.005, what="5xx", expected_share=1 / 3
    )
    assert off.share is not None and off.share.mismatch
    assert "canary share 10.0% of 10000 requests, expected 33.3%" in off.share.message()
    assert fine.share is not None and not fine.share.mismatch
