"""Canary golden scenarios: ``pytest gate_checks -m canary`` against the backfilled Prometheus.

Each scenario is a canary (revision v2) and its baseline (v1); the gate runs as a subprocess with
``--gate-canary 'revision="v2"' --gate-baseline 'revision="v1"'`` and must give the expected
verdict, the canary checks the expected outcomes, and the report the counts and the exact test.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from scipy.stats import fisher_exact

from pytest_gate.run.fixtures import NO_CANARY
from tests.checks.canary_data import (
    BASELINE_ARGS,
    CANARY_ARGS,
    CANARY_BY_NAME,
    CANARY_REVISION,
    CANARY_SCENARIOS,
    CanaryScenario,
)
from tests.checks.conftest import DEFAULT_CONFIG, PARALLEL_RUNS, GateRun, run_gate
from tests.checks.deployment import T
from tests.checks.test_smoke_checks import collected
from tests.support.prometheus_server import PrometheusServer

pytestmark = pytest.mark.prometheus

EXIT_CODES = {"GO": 0, "WARNING": 1, "NO-GO": 2}
CANARY_CHECKS = (
    "test_canary_5xx_rate",
    "test_canary_schema_repairs",
    "test_canary_p95_latency[fast]",
    "test_canary_p95_latency[balanced]",
    "test_canary_p95_latency[creative]",
)
NAMES = [s.name for s in CANARY_SCENARIOS]
REPLAYED = "canary-worse"


def canary_config(directory: Path, namespace: str) -> Path:
    """The shipped gate.toml selecting ``namespace``."""
    text = DEFAULT_CONFIG.read_text().replace(
        "label_selector = {}", f'label_selector = {{ namespace = "{namespace}" }}', 1
    )
    path = directory / f"{namespace}.toml"
    path.write_text(text)
    return path


def canary_run(url: str, directory: Path, scenario: CanaryScenario, *extra: str) -> GateRun:
    """``pytest gate_checks -m canary`` with both selections against scenario ``scenario``."""
    config = canary_config(directory, scenario.namespace)
    args = ["-m", "canary", "--gate-config", str(config), "--gate-time", str(T)]
    args += [*CANARY_ARGS, *BASELINE_ARGS, "--prometheus-url", url, *extra]
    return run_gate(args, directory / f"{scenario.name}.json")


@pytest.fixture(scope="module")
def canary_runs(
    golden_prometheus: PrometheusServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Future[GateRun]]]:
    """Every canary scenario's run (and the live run of the replayed one), started together."""
    directory = tmp_path_factory.mktemp("canary-runs")
    recording = directory / "recording.json"
    with ThreadPoolExecutor(PARALLEL_RUNS) as pool:
        runs = {
            s.name: pool.submit(canary_run, golden_prometheus.url, directory, s)
            for s in CANARY_SCENARIOS
            if s.name != REPLAYED
        }
        runs[REPLAYED] = pool.submit(
            canary_run,
            golden_prometheus.url,
            directory,
            CANARY_BY_NAME[REPLAYED],
            "--gate-record",
            str(recording),
        )
        yield runs


def run_of(runs: dict[str, Future[GateRun]], name: str) -> GateRun:
    return runs[name].result()


def canary_check(runs: dict[str, Future[GateRun]], name: str, check: str) -> dict[str, object]:
    return run_of(runs, name).checks()[check]


@pytest.mark.parametrize("canary_name", NAMES)
def test_canary_verdict_and_exit_code(
    canary_runs: dict[str, Future[GateRun]], canary_name: str
) -> None:
    """The gate gives the canary scenario's verdict and its exit code."""
    run = run_of(canary_runs, canary_name)
    expected = CANARY_BY_NAME[canary_name].verdict
    assert (run.report["verdict"], run.exit_code) == (expected, EXIT_CODES[expected]), run.output


@pytest.mark.parametrize("canary_name", NAMES)
def test_only_the_canary_checks_run_with_their_expected_outcomes(
    canary_runs: dict[str, Future[GateRun]], canary_name: str
) -> None:
    """-m canary runs exactly the canary checks; the breached ones have the expected outcome."""
    checks = run_of(canary_runs, canary_name).checks()
    failing = CANARY_BY_NAME[canary_name].failing
    assert {c: checks[c]["outcome"] for c in checks} == {
        c: failing.get(c, "pass") for c in CANARY_CHECKS
    }


def test_clearly_worse_canary_reports_counts_statistic_and_p_value(
    canary_runs: dict[str, Future[GateRun]],
) -> None:
    """12/4000 against 3/8000: both sides' counts, the statistic and SciPy's p-value."""
    result = canary_check(canary_runs, REPLAYED, "test_canary_5xx_rate")
    canary = result["canary"]
    assert isinstance(canary, dict)
    assert (canary["canary"]["errors"], canary["canary"]["requests"]) == (12, 4000)
    assert (canary["baseline"]["errors"], canary["baseline"]["requests"]) == (3, 8000)
    reference = fisher_exact([[12, 3988], [3, 7997]], alternative="greater")
    assert canary["p_value"] == pytest.approx(reference.pvalue, rel=1e-9)
    assert canary["statistic"] == 12
    assert canary["expected_errors"] == pytest.approx(5.0)
    assert canary["odds_ratio"] == pytest.approx(reference.statistic)
    assert (canary["significant"], canary["within_limit"]) == (True, True)
    assert (result["value"], result["threshold"], result["comparison"]) == (
        pytest.approx(reference.pvalue),
        0.01,
        ">=",
    )


def test_canary_counts_are_exact_integers(canary_runs: dict[str, Future[GateRun]]) -> None:
    """12 5xx of 4000 read exactly 12/4000 before any rounding (``increase()`` extrapolated)."""
    series = canary_check(canary_runs, REPLAYED, "test_canary_5xx_rate")["series"]
    assert isinstance(series, list)
    sides = {s["labels"]["side"]: (s["value"], s["samples"]) for s in series}
    assert sides == {"canary": (12 / 4000, 4000.0), "baseline": (3 / 8000, 8000.0)}


def test_terminal_line_names_both_sides_and_the_p_value(
    canary_runs: dict[str, Future[GateRun]],
) -> None:
    """The check line says what was compared: canary 12/4000 5xx vs baseline 3/8000, p < 0.01."""
    output = run_of(canary_runs, REPLAYED).output
    assert "canary 12/4000 5xx vs baseline 3/8000, p=0.00028 < 0.01" in output
    assert "GATE: NO-GO (exit 2)" in output


def test_slightly_worse_canary_passes_with_its_p_value_shown(
    canary_runs: dict[str, Future[GateRun]],
) -> None:
    """Twice the baseline's ratio on six errors is not significant: GO, p = 0.18 shown."""
    run = run_of(canary_runs, "canary-slightly-worse")
    result = run.checks()["test_canary_5xx_rate"]
    canary = result["canary"]
    assert isinstance(canary, dict)
    assert canary["p_value"] == pytest.approx(0.1776, abs=1e-4)
    assert "canary 6/4000 5xx vs baseline 6/8000, p=0.18 >= 0.01" in run.output


def test_too_few_canary_requests_is_no_data_naming_the_floor(
    canary_runs: dict[str, Future[GateRun]],
) -> None:
    """100 canary requests against a floor of 500 is no_data, and the message says so."""
    result = canary_check(canary_runs, "canary-too-few", "test_canary_5xx_rate")
    assert "canary: 100 requests in the window, fewer than the floor of 500" in str(
        result["message"]
    )
    assert str(result["message"]).count("fewer than the floor") == 1  # the baseline has 8000
    p95 = canary_check(canary_runs, "canary-too-few", "test_canary_p95_latency[fast]")
    assert "canary: 20 observations in the window, fewer than the floor of 50" in str(
        p95["message"]
    )


def test_better_canary_has_a_p_value_of_one(canary_runs: dict[str, Future[GateRun]]) -> None:
    """No canary errors against 16 baseline errors: p = 1, GO."""
    canary = canary_check(canary_runs, "canary-better", "test_canary_5xx_rate")["canary"]
    assert isinstance(canary, dict)
    assert (canary["p_value"], canary["canary"]["errors"]) == (1.0, 0)


def test_canary_over_the_absolute_limit_fails_on_the_limit(
    canary_runs: dict[str, Future[GateRun]],
) -> None:
    """1% on both sides is not worse than the baseline, but over 0.5%: the ratio is reported."""
    result = canary_check(canary_runs, "canary-over-limit", "test_canary_5xx_rate")
    assert (result["value"], result["threshold"], result["unit"]) == (0.01, 0.005, "ratio")
    assert "canary 1.00% > 0.50% (absolute limit)" in str(result["message"])


def test_canary_repairs_fail_the_schema_check_counted_from_zero(
    canary_runs: dict[str, Future[GateRun]],
) -> None:
    """Two repairs among 1200 canary briefs fail; the canary began inside the 30m window."""
    result = canary_check(canary_runs, "canary-repairs", "test_canary_schema_repairs")
    assert result["value"] == pytest.approx(2 / 1200)
    coverage = result["coverage"]
    assert isinstance(coverage, dict)
    assert {labels["revision"] for labels in coverage["born_inside"]} == {CANARY_REVISION}


def test_slow_canary_is_a_warning_with_the_ratio_to_the_baseline(
    canary_runs: dict[str, Future[GateRun]],
) -> None:
    """A fast p95 of 2.43 s against 0.97 s is 2.5 x the baseline: over 1.25 x, WARNING."""
    result = canary_check(canary_runs, "canary-slow-fast", "test_canary_p95_latency[fast]")
    assert result["value"] == pytest.approx(2.425 / 0.975, rel=1e-3)
    assert "canary 2.42 s, baseline 0.97 s" in str(result["message"])


def test_replay_of_a_canary_recording_reproduces_the_comparison(
    canary_runs: dict[str, Future[GateRun]], tmp_path: Path
) -> None:
    """The recorded canary run replays offline with the same verdict and the same comparison."""
    live = run_of(canary_runs, REPLAYED)
    recording = Path(str(live.report["source"]["recording"]["path"]))
    config = canary_config(tmp_path, CANARY_BY_NAME[REPLAYED].namespace)
    replay = run_gate(
        [
            "-m",
            "canary",
            "--gate-config",
            str(config),
            *CANARY_ARGS,
            *BASELINE_ARGS,
            "--gate-replay",
            str(recording),
        ],
        tmp_path / "replay.json",
    )
    assert (replay.report["verdict"], replay.exit_code) == ("NO-GO", 2)
    assert (
        replay.checks()["test_canary_5xx_rate"]["canary"]
        == (live.checks()["test_canary_5xx_rate"]["canary"])
    )


def test_without_selections_the_canary_checks_are_no_data(
    golden_prometheus: PrometheusServer, tmp_path: Path
) -> None:
    """-m canary without --gate-canary/--gate-baseline: every canary check says how to pass them."""
    config = canary_config(tmp_path, CANARY_BY_NAME["canary-equal"].namespace)
    run = run_gate(
        [
            "-m",
            "canary",
            "--gate-config",
            str(config),
            "--gate-time",
            str(T),
            "--prometheus-url",
            golden_prometheus.url,
        ],
        tmp_path / "r.json",
    )
    assert run.exit_code == 2
    assert {c["outcome"] for c in run.checks().values()} == {"no_data"}
    assert all(NO_CANARY in str(c["message"]) for c in run.checks().values())


def test_the_comparison_carries_both_sides_window_coverage(
    canary_runs: dict[str, Future[GateRun]],
) -> None:
    """The 5xx comparison reports the coverage of both sides' traffic: four series, full window."""
    coverage = canary_check(canary_runs, REPLAYED, "test_canary_5xx_rate")["coverage"]
    assert isinstance(coverage, dict)
    assert (coverage["series"], coverage["partial"], coverage["born_inside"]) == (4, False, [])


def test_canary_checks_run_only_with_minus_m_canary() -> None:
    """A normal run and -m smoke leave them out; -m canary selects exactly them."""
    assert not {n.split("[")[0] for n in collected()} & {c.split("[")[0] for c in CANARY_CHECKS}
    assert not set(collected("-m", "smoke")) & set(CANARY_CHECKS)
    assert set(collected("-m", "canary")) == set(CANARY_CHECKS)
