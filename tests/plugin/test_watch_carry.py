"""What a watch round hands to the next: the e-process through the round's report, whole seconds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_gate.checks.observe import OBSERVATION_KEY, GateNoData, Observation, Observer
from pytest_gate.core.query import Answer, DataState, SeriesValue
from pytest_gate.stats.sequential import CanaryRound, WatchState, advance
from pytest_gate.stats.sides import Side
from pytest_gate.watch.carry import PREVIOUS_ENV, ROUND_ENV, CarryError, canary_round
from pytest_gate.watch.rounds import child_env, round_time

T = 1_800_000_000.0
CHECK_ID = "gate_checks/test_canary.py::test_canary_5xx_rate"


def first_state() -> WatchState:
    canary, baseline = Side("canary", 4, 1000), Side("baseline", 1, 2000)
    return advance(CanaryRound(T, watching=True), canary, baseline, 600, 1.0).state


def report_with(tmp_path: Path, check: dict[str, object]) -> Path:
    path = tmp_path / "round-1.json"
    path.write_text(json.dumps({"checks": [check]}))
    return path


def test_outside_a_watch_the_run_is_one_shot() -> None:
    """No round variable: one-shot (Fisher), whatever else is set."""
    assert canary_round(T, CHECK_ID, {}) == CanaryRound(T)


def test_the_first_round_of_a_watch_starts_a_fresh_e_process() -> None:
    """A round without a previous report is watching, with nothing to continue."""
    assert canary_round(T, CHECK_ID, {ROUND_ENV: "1"}) == CanaryRound(T, watching=True)


def test_a_later_round_continues_from_its_own_check_in_the_previous_report(
    tmp_path: Path,
) -> None:
    """The state is found by node id in the previous round's report and read back exactly."""
    state = first_state()
    other = {"id": "other", "canary": None}
    path = tmp_path / "round-1.json"
    mine = {"id": CHECK_ID, "canary": {"state": state.to_json()}}
    path.write_text(json.dumps({"checks": [other, mine]}))
    env = {ROUND_ENV: "2", PREVIOUS_ENV: str(path)}
    assert canary_round(T + 60, CHECK_ID, env) == CanaryRound(T + 60, True, state)


def test_an_unreadable_previous_state_is_an_error_not_a_fresh_start(tmp_path: Path) -> None:
    """Restarting silently would test anew each round; a broken state fails closed."""
    path = report_with(tmp_path, {"id": CHECK_ID, "canary": {"state": {"anchor": 1}}})
    with pytest.raises(CarryError, match="cannot continue honestly"):
        canary_round(T, CHECK_ID, {ROUND_ENV: "2", PREVIOUS_ENV: str(path)})


def test_rounds_are_evaluated_at_whole_seconds_unless_t_is_fixed() -> None:
    """--gate-time ceil(now) for each round; a fixed --gate-time or a replay is left alone."""
    assert round_time(["gate_checks"], clock=lambda: T + 0.75) == ["--gate-time", str(int(T) + 1)]
    assert round_time(["--gate-time", "5"], clock=lambda: T) == []
    assert round_time(["--gate-replay=r.json"], clock=lambda: T) == []


def test_the_child_gets_the_previous_report_only_when_there_is_one(tmp_path: Path) -> None:
    """GATE_WATCH_PREVIOUS names the latest readable report; round 1 has none."""
    assert PREVIOUS_ENV not in child_env(1)
    assert child_env(2, tmp_path / "round-1.json")[PREVIOUS_ENV] == str(tmp_path / "round-1.json")


def test_a_round_without_data_carries_the_e_process_forward() -> None:
    """A no_data round still records the previous state, so the next round continues it."""
    sink: list[tuple[str, object]] = []
    state = first_state()
    missing = Answer("q", DataState.NO_DATA, message="no traffic")
    with pytest.raises(GateNoData):
        Observer(sink).expect_not_worse(
            missing, alpha=0.01, max_ratio=0.005, what="5xx",
            now=CanaryRound(T + 60, True, state),
        )  # fmt: skip
    ((key, data),) = sink
    observation = Observation.from_json(data)  # type: ignore[arg-type]
    assert key == OBSERVATION_KEY and observation.canary is not None
    assert observation.canary.sequential is not None
    assert observation.canary.sequential.state == state


def test_a_broken_split_is_no_data_with_the_comparison_recorded() -> None:
    """A sample ratio mismatch ends the check as no_data naming both shares."""
    sink: list[tuple[str, object]] = []
    both = Answer(
        "q",
        DataState.OK,
        (
            SeriesValue((("side", "canary"),), 0.0, 1000.0, count=0.0),
            SeriesValue((("side", "baseline"),), 0.0, 9000.0, count=0.0),
        ),
    )
    with pytest.raises(GateNoData, match=r"canary share 10\.0% .* expected 33\.3%"):
        Observer(sink).expect_not_worse(
            both, alpha=0.01, max_ratio=0.005, what="5xx", expected_share=1 / 3
        )
    observation = Observation.from_json(sink[0][1])  # type: ignore[arg-type]
    assert observation.state is DataState.NO_DATA
    assert observation.canary is not None and observation.canary.share is not None
