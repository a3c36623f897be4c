"""Golden scenarios: the default gate on a real Prometheus and a real VictoriaMetrics, and replay.

Each scenario is one deployment state (see ``scenarios.py``); the gate must give the expected
verdict, every check the expected outcome, and the report must carry the values behind it. The
replay of the live run's recording must reproduce all of it offline.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.checks.conftest import GateRun, ScenarioRunner, run_gate, scenario_config
from tests.checks.deployment import NEW_INSTANCE, REQUESTS_PER_STEP, NewInstance, T
from tests.checks.scenarios import BY_NAME, SCENARIOS

EXIT_CODES = {"GO": 0, "WARNING": 1, "NO-GO": 2}
DEFAULT_CHECKS = (
    "test_api_5xx_rate",
    "test_schema_failure_rate",
    "test_p95_latency[fast]",
    "test_p95_latency[balanced]",
    "test_p95_latency[creative]",
    "test_creative_p95_sustained",
    "test_rl_loss_ceiling",
    "test_rl_loss_vs_baseline",
    "test_rl_reward_trend",
    "test_cache_hit_rate[fast]",
    "test_cache_hit_rate[balanced]",
    "test_cpu_usage",
    "test_memory_usage",
    "test_vram_headroom",
    "test_vram_headroom_margin",
    "test_scrape_targets_up[serving]",
    "test_scrape_targets_up[worker-rl]",
    "test_scrape_targets_up[gpu-exporter]",
    "test_scrape_targets_up[extra]",
)
UNLESS_NAMED = {"test_scrape_targets_up[extra]": "not_applicable"}
"""Outcomes of checks a scenario does not name other than pass (no extra jobs configured)."""
NAMES = [s.name for s in SCENARIOS]


def live(runner: ScenarioRunner, name: str) -> GateRun:
    return runner.runs(name).live


def check(runner: ScenarioRunner, name: str, check_id: str) -> dict[str, object]:
    return live(runner, name).checks()[check_id]


@pytest.mark.parametrize("scenario_name", NAMES)
def test_verdict_and_exit_code(scenario_runner: ScenarioRunner, scenario_name: str) -> None:
    """The live gate gives the scenario's verdict and the matching exit code."""
    run = live(scenario_runner, scenario_name)
    expected = BY_NAME[scenario_name].verdict
    assert (run.report["verdict"], run.exit_code) == (expected, EXIT_CODES[expected]), run.output


@pytest.mark.parametrize("scenario_name", NAMES)
def test_every_check_has_its_expected_outcome(
    scenario_runner: ScenarioRunner, scenario_name: str
) -> None:
    """Every default check ran; the breached ones have the expected outcome, all others pass."""
    checks = live(scenario_runner, scenario_name).checks()
    failing = BY_NAME[scenario_name].failing
    outcomes = {c: checks[c]["outcome"] for c in DEFAULT_CHECKS if c in checks}
    assert outcomes == {c: failing.get(c, UNLESS_NAMED.get(c, "pass")) for c in DEFAULT_CHECKS}


@pytest.mark.parametrize("scenario_name", NAMES)
def test_replay_reproduces_verdict_outcomes_and_values(
    scenario_runner: ScenarioRunner, scenario_name: str
) -> None:
    """Replaying the live run's recording offline gives the same verdict, outcomes and values."""
    runs = scenario_runner.runs(scenario_name)

    def essence(run: GateRun) -> tuple[object, ...]:
        checks = run.checks()
        return (
            run.report["verdict"],
            run.exit_code,
            [(c, checks[c]["outcome"], checks[c]["value"], checks[c]["series"]) for c in checks],
        )

    assert essence(runs.replay) == essence(runs.live)
    assert runs.replay.report["source"]["kind"] == "replay"


@pytest.mark.parametrize("scenario_name", ["healthy"])
def test_healthy_report_carries_every_value(
    scenario_runner: ScenarioRunner, scenario_name: str
) -> None:
    """A healthy deployment's report shows the measured values, not just passes."""
    checks = live(scenario_runner, scenario_name).checks()
    assert checks["test_api_5xx_rate"]["value"] == 0.0
    assert checks["test_p95_latency[fast]"]["value"] == pytest.approx(0.975, abs=0.01)
    assert checks["test_cache_hit_rate[fast]"]["value"] == pytest.approx(0.8, abs=0.01)
    assert checks["test_rl_reward_trend"]["value"] == pytest.approx(0.1, abs=0.02)
    assert checks["test_cpu_usage"]["value"] == pytest.approx(0.25, abs=0.01)
    assert len(checks["test_vram_headroom"]["series"]) == 2


@pytest.mark.parametrize("scenario_name", ["fix-counter-absent"])
def test_absent_repair_counter_with_briefs_is_a_real_zero(
    scenario_runner: ScenarioRunner, scenario_name: str
) -> None:
    """No llm_schema_fix_count_total series while briefs flow passes with a value of 0."""
    schema = check(scenario_runner, scenario_name, "test_schema_failure_rate")
    assert (schema["outcome"], schema["value"]) == ("pass", 0.0)


@pytest.mark.parametrize("scenario_name", ["api-errors"])
def test_api_error_breach_reports_value_threshold_and_message(
    scenario_runner: ScenarioRunner, scenario_name: str
) -> None:
    """A 2% 5xx rate is reported with its value, the 0.5% limit and a readable message."""
    errors = check(scenario_runner, scenario_name, "test_api_5xx_rate")
    assert errors["value"] == pytest.approx(0.02, abs=0.001)
    assert (errors["threshold"], errors["comparison"], errors["unit"]) == (0.005, "<=", "ratio")
    assert "5xx rate (5m) 2.00% > 0.50%" in str(errors["message"])


@pytest.mark.parametrize("scenario_name", ["rl-loss-vs-baseline"])
def test_loss_below_ceiling_but_over_three_times_baseline_is_caught(
    scenario_runner: ScenarioRunner, scenario_name: str
) -> None:
    """A loss of 1.5 passes the 2.0 ceiling but is over 3x its 2h average."""
    ceiling = check(scenario_runner, scenario_name, "test_rl_loss_ceiling")
    baseline = check(scenario_runner, scenario_name, "test_rl_loss_vs_baseline")
    assert ceiling["value"] == pytest.approx(1.5)
    assert isinstance(baseline["value"], float)
    assert baseline["value"] > 3.0


@pytest.mark.parametrize("scenario_name", ["rl-two-algorithms"])
def test_runaway_algorithm_is_named_among_healthy_ones(
    scenario_runner: ScenarioRunner, scenario_name: str
) -> None:
    """With ppo healthy and dpo running away, the message names dpo and both are listed."""
    baseline = check(scenario_runner, scenario_name, "test_rl_loss_vs_baseline")
    assert "algorithm=dpo" in str(baseline["message"])
    series = baseline["series"]
    assert isinstance(series, list)
    assert sorted(s["labels"]["algorithm"] for s in series) == ["dpo", "ppo"]


@pytest.mark.parametrize("scenario_name", ["gpu-one-bad"])
def test_one_bad_gpu_of_four_is_named_and_all_are_listed(
    scenario_runner: ScenarioRunner, scenario_name: str
) -> None:
    """The third of four GPUs at 10% free decides the check; the report lists all four."""
    vram = check(scenario_runner, scenario_name, "test_vram_headroom")
    assert vram["value"] == pytest.approx(0.10)
    assert "gpu=2" in str(vram["message"])
    series = vram["series"]
    assert isinstance(series, list)
    assert sorted(s["labels"]["gpu"] for s in series) == ["0", "1", "2", "3"]


@pytest.mark.parametrize(
    ("scenario_name", "uuid_label", "named"),
    [
        ("dcgm-one-bad", "UUID", "Hostname=gpu-node-1"),
        ("nvidia-smi-one-bad", "uuid", "name=NVIDIA H100 80GB HBM3"),
    ],
)
def test_exporter_preset_names_the_bad_gpu_by_its_uuid(
    scenario_runner: ScenarioRunner, scenario_name: str, uuid_label: str, named: str
) -> None:
    """With one gpu_exporter line, the 10% GPU decides, named by the exporter's own labels."""
    vram = check(scenario_runner, scenario_name, "test_vram_headroom")
    assert vram["value"] == pytest.approx(0.10)
    assert f"{uuid_label}=" in str(vram["message"]) and named in str(vram["message"])
    series = vram["series"]
    assert isinstance(series, list)
    assert sorted(round(s["value"], 2) for s in series) == [0.10, 0.45]


@pytest.mark.parametrize("scenario_name", ["gpu-exporter-absent"])
def test_missing_gpu_exporter_names_the_metric(
    scenario_runner: ScenarioRunner, scenario_name: str
) -> None:
    """Without GPU series the VRAM check is no_data and says which metric is missing."""
    vram = check(scenario_runner, scenario_name, "test_vram_headroom")
    assert "nvidia_gpu_memory_total_bytes" in str(vram["message"])


@pytest.mark.parametrize("scenario_name", ["no-traffic"])
def test_no_traffic_says_so(scenario_runner: ScenarioRunner, scenario_name: str) -> None:
    """Flat counters make the 5xx rate no_data with a message about missing traffic."""
    errors = check(scenario_runner, scenario_name, "test_api_5xx_rate")
    assert "no traffic" in str(errors["message"])


@pytest.mark.parametrize("scenario_name", ["no-traffic"])
@pytest.mark.parametrize("check_id", ["test_p95_latency[fast]", "test_creative_p95_sustained"])
def test_no_observations_is_diagnosed_alike_on_every_engine(
    scenario_runner: ScenarioRunner, scenario_name: str, check_id: str
) -> None:
    """No briefs: the latency checks say "no observations in the window", never "empty result"
    (VictoriaMetrics drops the NaN quantile Prometheus returns)."""
    message = str(check(scenario_runner, scenario_name, check_id)["message"])
    assert "no observations in the window" in message and "empty result" not in message


@pytest.mark.parametrize("scenario_name", ["serving-down"])
def test_down_target_is_named(scenario_runner: ScenarioRunner, scenario_name: str) -> None:
    """The one serving instance that is down is named in the message."""
    targets = check(scenario_runner, scenario_name, "test_scrape_targets_up[serving]")
    assert "job=serving,instance=serving-1:8000" in str(targets["message"])


@pytest.mark.parametrize("scenario_name", ["gpu-exporter-target-down"])
def test_down_gpu_exporter_target_is_named_while_vram_passes_on_the_rest(
    scenario_runner: ScenarioRunner, scenario_name: str
) -> None:
    """A dead exporter node among healthy ones: the VRAM checks see only node-a's two GPUs and
    pass; the targets check fails naming node-b's exporter, and lists both targets."""
    vram = check(scenario_runner, scenario_name, "test_vram_headroom")
    series = vram["series"]
    assert vram["outcome"] == "pass" and isinstance(series, list)
    assert {s["labels"]["instance"] for s in series} == {"node-a:9400"}
    targets = check(scenario_runner, scenario_name, "test_scrape_targets_up[gpu-exporter]")
    assert "job=gpu-exporter,instance=node-b:9400" in str(targets["message"])
    listed = targets["series"]
    assert isinstance(listed, list)
    assert sorted((s["labels"]["instance"], s["value"]) for s in listed) == [
        ("node-a:9400", 1.0),
        ("node-b:9400", 0.0),
    ]


@pytest.mark.parametrize("scenario_name", ["gpu-exporter-absent"])
def test_gpu_exporter_job_without_targets_is_named(
    scenario_runner: ScenarioRunner, scenario_name: str
) -> None:
    """No target of the GPU exporter's job at all: no_data naming the job."""
    targets = check(scenario_runner, scenario_name, "test_scrape_targets_up[gpu-exporter]")
    assert "job gpu-exporter" in str(targets["message"])


@pytest.mark.parametrize("scenario_name", ["creative-slow-1m"])
def test_one_slow_minute_passes_the_sustained_check(
    scenario_runner: ScenarioRunner, scenario_name: str
) -> None:
    """One slow minute lifts the 5m p95 over 4.5 s, but not the lowest 1m p95 across 5m."""
    current = check(scenario_runner, scenario_name, "test_p95_latency[creative]")
    sustained = check(scenario_runner, scenario_name, "test_creative_p95_sustained")
    assert isinstance(current["value"], float)
    assert isinstance(sustained["value"], float)
    assert current["value"] > 4.5 >= sustained["value"]


@pytest.mark.parametrize("scenario_name", ["creative-slow-15m"])
def test_fifteen_slow_minutes_fail_the_sustained_check(
    scenario_runner: ScenarioRunner, scenario_name: str
) -> None:
    """Slow for 15 minutes: even the lowest 1m p95 of the last 5m is above 4.5 s."""
    sustained = check(scenario_runner, scenario_name, "test_creative_p95_sustained")
    assert sustained["value"] == pytest.approx(5.925, abs=0.05)
    assert "lowest 1m creative p95 over the last 5m" in str(sustained["message"])


@pytest.mark.parametrize("scenario_name", ["reward-falling"])
def test_falling_reward_has_a_negative_robust_slope(
    scenario_runner: ScenarioRunner, scenario_name: str
) -> None:
    """A reward falling 0.3 per hour is measured as about -0.3 /h."""
    trend = check(scenario_runner, scenario_name, "test_rl_reward_trend")
    assert trend["value"] == pytest.approx(-0.3, abs=0.02)


@pytest.mark.parametrize("scenario_name", ["vram-margin"])
def test_vram_between_the_lines_only_warns(
    scenario_runner: ScenarioRunner, scenario_name: str
) -> None:
    """22% free passes the 20% NO-GO line and fails the 25% warning line."""
    critical = check(scenario_runner, scenario_name, "test_vram_headroom")
    margin = check(scenario_runner, scenario_name, "test_vram_headroom_margin")
    assert (critical["value"], margin["value"]) == (pytest.approx(0.22), pytest.approx(0.22))


@pytest.mark.parametrize("scenario_name", ["serving-only-without-gpus"])
def test_absent_parts_are_not_applicable_with_the_config_reason(
    scenario_runner: ScenarioRunner, scenario_name: str
) -> None:
    """Without worker-rl and GPUs the RL and VRAM checks say why they do not apply."""
    checks = live(scenario_runner, scenario_name).checks()
    assert checks["test_rl_reward_trend"]["message"] == (
        "component worker-rl is not deployed ([deployment] components)"
    )
    assert checks["test_vram_headroom"]["message"] == (
        'no GPUs in this deployment ([deployment] gpus = "none")'
    )


@pytest.mark.parametrize("scenario_name", ["warnings-and-one-critical"])
def test_warnings_with_one_critical_count_both(
    scenario_runner: ScenarioRunner, scenario_name: str
) -> None:
    """Two warning breaches and one critical breach are all counted as failures."""
    summary = live(scenario_runner, scenario_name).report["summary"]
    assert summary["fail"] == 3


@pytest.mark.parametrize("scenario_name", ["new-instance-repairs", "new-instance-5xx"])
def test_new_instance_failure_is_counted_from_zero_and_named(
    scenario_runner: ScenarioRunner, scenario_name: str
) -> None:
    """What a new pod carried at its first scrape counts, and the message names the pod."""
    failing = next(iter(BY_NAME[scenario_name].failing))
    result = check(scenario_runner, scenario_name, failing)
    assert f"instance={NEW_INSTANCE}" in str(result["message"])
    coverage = result["coverage"]
    assert isinstance(coverage, dict)
    born = {labels.get("instance") for labels in coverage["born_inside"]}
    assert born == {NEW_INSTANCE}
    assert coverage["fewest_samples_per_series"] == NewInstance().samples
    assert coverage["partial"] is False  # the old pod covers the whole window


def test_new_healthy_instance_counts_its_traffic(scenario_runner: ScenarioRunner) -> None:
    """The new pod's first-sample requests are in the denominator; its probe 503s are not API."""
    healthy = check(scenario_runner, "healthy", "test_api_5xx_rate")
    grown = check(scenario_runner, "new-instance-healthy", "test_api_5xx_rate")
    assert isinstance(healthy["samples"], float) and isinstance(grown["samples"], float)
    new = NewInstance()
    # the first sample's requests, plus the increase over its later samples
    added = new.first_requests + (new.samples - 1) * REQUESTS_PER_STEP
    assert grown["samples"] == pytest.approx(healthy["samples"] + added, rel=0.02)
    assert grown["value"] == 0.0


def test_target_scraped_once_is_no_data_with_the_cause(scenario_runner: ScenarioRunner) -> None:
    """One sample in the window: no_data that names the target and says to wait for a scrape."""
    result = check(scenario_runner, "scraped-once", "test_api_5xx_rate")
    message = str(result["message"])
    assert f"scraped job=serving,instance={NEW_INSTANCE} only once in this 5m window" in message
    assert "run again after the next scrape" in message
    coverage = result["coverage"]
    assert isinstance(coverage, dict)
    assert coverage["fewest_samples_per_series"] == 1
    assert [labels["instance"] for labels in coverage["sparse"]] == [
        NEW_INSTANCE
    ] * 2  # 200 and 500; the probe is not API traffic


@pytest.mark.parametrize("scenario_name", ["gpu-exporter-target-down"])
def test_gpu_exporter_targets_are_not_gated_when_no_check_reads_the_exporter(
    scenario_runner: ScenarioRunner, scenario_name: str, tmp_path: Path
) -> None:
    """Replayed with --gpu-source none, the VRAM checks read no exporter: its dead target is
    not_applicable with the reason (the VRAM checks themselves are no_data)."""
    config = scenario_config(tmp_path, BY_NAME[scenario_name])
    recording = scenario_runner.recording(scenario_name)
    args = ["--gate-config", str(config), "--gate-time", str(T), "--gate-replay", str(recording)]
    run = run_gate([*args, "--gpu-source", "none"], tmp_path / "report.json")
    targets = run.checks()["test_scrape_targets_up[gpu-exporter]"]
    assert (targets["outcome"], targets["message"]) == (
        "not_applicable",
        "the VRAM checks read no GPU source (--gpu-source none)",
    )
    assert run.checks()["test_vram_headroom"]["outcome"] == "no_data"
