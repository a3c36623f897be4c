"""The golden scenarios of window coverage on a real VictoriaMetrics, live and replayed.

VictoriaMetrics answers the same PromQL, with differences of its own (its ``increase()`` looks at
the sample before the window and counts a single-sample series; it drops NaN results). The
counted-from-zero expression must give the same verdicts there as on Prometheus.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.checks.conftest import ScenarioRunner
from tests.checks.scenarios import BY_NAME, NEW_INSTANCE_SCENARIOS, openmetrics
from tests.checks.test_golden_scenarios import DEFAULT_CHECKS, EXIT_CODES
from tests.victoria_server import VictoriaMetrics, available

pytestmark = [
    pytest.mark.victoria,
    pytest.mark.skipif(not available(), reason="victoria-metrics is not installed"),
]
NAMES = ["healthy", *(s.name for s in NEW_INSTANCE_SCENARIOS)]


@pytest.fixture(scope="module")
def victoria_runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScenarioRunner]:
    """The scenarios' gate runs against one VictoriaMetrics holding every scenario."""
    with VictoriaMetrics.start(
        tmp_path_factory.mktemp("victoria"), openmetrics=openmetrics()
    ) as server:
        runner = ScenarioRunner(server.url, tmp_path_factory.mktemp("victoria-runs"), NAMES)
        yield runner
        runner.close()


@pytest.mark.parametrize("scenario_name", NAMES)
def test_victoria_metrics_gives_the_scenario_verdict(
    victoria_runner: ScenarioRunner, scenario_name: str
) -> None:
    """Verdict, exit code and every check's outcome as on Prometheus; the replay agrees."""
    runs = victoria_runner.runs(scenario_name)
    expected = BY_NAME[scenario_name]
    checks = runs.live.checks()
    outcomes = {c: checks[c]["outcome"] for c in DEFAULT_CHECKS if c in checks}
    assert outcomes == {c: expected.failing.get(c, "pass") for c in DEFAULT_CHECKS}, (
        runs.live.output
    )
    assert (runs.live.report["verdict"], runs.live.exit_code) == (
        expected.verdict,
        EXIT_CODES[expected.verdict],
    )
    replayed = runs.replay.checks()
    assert {c: replayed[c]["value"] for c in checks} == {c: checks[c]["value"] for c in checks}
