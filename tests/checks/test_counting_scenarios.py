"""Exact window counting at every edge (DESIGN §2), on a real Prometheus and VictoriaMetrics.

The scenarios are in ``scenarios.py`` (``COUNTING_SCENARIOS``); their verdicts, every check's
outcome and the replay's equality are asserted with all others in ``test_golden_scenarios.py``.
Here: the exact counts behind them, and what the coverage says was bridged or born.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.checks.conftest import ScenarioRunner
from tests.checks.deployment import NEW_INSTANCE


def check(runner: ScenarioRunner, name: str, check_id: str) -> dict[str, Any]:
    return runner.runs(name).live.checks()[check_id]


def counted(result: dict[str, Any]) -> float:
    """The numerator behind a ratio check: value times the denominator (``samples``)."""
    return float(result["value"]) * float(result["samples"])


@pytest.mark.parametrize(
    ("scenario_name", "check_id", "count"),
    [
        ("born-repairs-reset", "test_schema_failure_rate", 3.0),
        ("born-5xx-resets-twice", "test_api_5xx_rate", 8.0),
        ("gap-at-start-new-repairs", "test_schema_failure_rate", 5.0),
        ("gap-inside-repairs", "test_schema_failure_rate", 3.0),
        ("gap-beyond-lookback", "test_schema_failure_rate", 40.0),
        ("gap-at-start-old-repairs", "test_schema_failure_rate", 0.0),
        ("reset-at-window-start", "test_schema_failure_rate", 0.0),
    ],
)
def test_integer_counts_stay_exact(
    scenario_runner: ScenarioRunner, scenario_name: str, check_id: str, count: float
) -> None:
    """What the counters did in the window, exactly: no extrapolation, nothing lost to a reset."""
    assert counted(check(scenario_runner, scenario_name, check_id)) == pytest.approx(
        count, abs=1e-9
    )


@pytest.mark.parametrize(
    ("scenario_name", "check_id"),
    [
        ("born-repairs-reset", "test_schema_failure_rate"),
        ("born-5xx-resets-twice", "test_api_5xx_rate"),
    ],
)
def test_a_born_pod_that_restarts_is_named(
    scenario_runner: ScenarioRunner, scenario_name: str, check_id: str
) -> None:
    """The new pod that restarted decides the check, and the coverage names it as born inside."""
    result = check(scenario_runner, scenario_name, check_id)
    assert f"instance={NEW_INSTANCE}" in str(result["message"])
    born = {labels.get("instance") for labels in result["coverage"]["born_inside"]}
    assert born == {NEW_INSTANCE}


@pytest.mark.parametrize(
    ("scenario_name", "check_id", "gap_s", "base_age_s"),
    [
        ("gap-at-start-old-repairs", "test_schema_failure_rate", 810.0, 2370.0),
        ("gap-inside-5xx", "test_api_5xx_rate", 360.0, 420.0),
        ("gap-inside-repairs", "test_schema_failure_rate", 480.0, 1800.0),
    ],
)
def test_a_bridged_gap_is_in_the_coverage_and_on_the_terminal(
    scenario_runner: ScenarioRunner,
    scenario_name: str,
    check_id: str,
    gap_s: float,
    base_age_s: float,
) -> None:
    """The longest gap and the base's age join the coverage; the terminal says a gap was bridged."""
    run = scenario_runner.runs(scenario_name).live
    coverage = run.checks()[check_id]["coverage"]
    assert (coverage["longest_gap_s"], coverage["base_age_s"]) == (gap_s, base_age_s)
    assert coverage["bridged"] is True and coverage["partial"] is False
    assert coverage["born_inside"] == []
    assert "gap in scrapes bridged" in run.output


@pytest.mark.parametrize("scenario_name", ["gap-inside-5xx"])
def test_errors_hidden_by_a_gap_inside_the_window_count(
    scenario_runner: ScenarioRunner, scenario_name: str
) -> None:
    """3% 5xx answered while unscraped: 21.6 errors of 840 requests since the base, on both engines."""
    errors = check(scenario_runner, scenario_name, "test_api_5xx_rate")
    assert errors["value"] == pytest.approx(21.6 / 840)


@pytest.mark.parametrize("scenario_name", ["gap-beyond-lookback"])
def test_a_gap_longer_than_the_lookback_is_named_as_born_inside(
    scenario_runner: ScenarioRunner, scenario_name: str
) -> None:
    """No sample in the look-back: every serving series is counted from zero and said so."""
    schema = check(scenario_runner, scenario_name, "test_schema_failure_rate")
    coverage = schema["coverage"]
    assert {labels["mode"] for labels in coverage["born_inside"]} == {
        "fast",
        "balanced",
        "creative",
    }
    assert coverage["base_age_s"] is None
    assert "no sample in the look-back" in coverage["summary"]


@pytest.mark.parametrize("scenario_name", ["reset-at-window-start"])
def test_a_reset_exactly_at_the_window_start_is_its_base(
    scenario_runner: ScenarioRunner, scenario_name: str
) -> None:
    """The restart's sample at T - 30m is the base: nothing born, nothing from before it counts."""
    schema = check(scenario_runner, scenario_name, "test_schema_failure_rate")
    assert (schema["outcome"], schema["coverage"]["born_inside"]) == ("pass", [])
    assert schema["coverage"]["base_age_s"] == 1800.0
