"""Golden scenarios of the vllm profile, copied out of the package and run as ``pytest DIR`` on a
real Prometheus and a real VictoriaMetrics holding vLLM-shaped data (two ``model_name``s)."""

from __future__ import annotations

import pytest

from tests.profiles.conftest import GateRun, ProfileRunner
from tests.profiles.vllm_data import REQUESTS_PER_STEP, STEP_SECONDS
from tests.profiles.vllm_scenarios import BORN_SECONDS_AGO, BY_NAME, LLAMA, QWEN, SCENARIOS

EXIT_CODES = {"GO": 0, "WARNING": 1, "NO-GO": 2}
PROFILE_CHECKS = (
    "test_api_5xx_rate",
    "test_engine_errors",
    "test_aborted_share",
    "test_ttft_p99",
    "test_inter_token_latency_p99",
    "test_e2e_latency_p95",
    "test_queue_time_p95",
    "test_kv_cache_usage",
    "test_kv_cache_usage_average",
    "test_requests_waiting",
    "test_preemptions",
    "test_scrape_targets_up",
    "test_gpu_memory",
)
NAMES = [s.name for s in SCENARIOS]


@pytest.mark.parametrize("scenario_name", NAMES)
def test_verdict_and_exit_code(profile_runner: ProfileRunner, scenario_name: str) -> None:
    """The copied profile gives the scenario's verdict and the matching exit code."""
    run = profile_runner.run(scenario_name)
    expected = BY_NAME[scenario_name].verdict
    assert (run.report["verdict"], run.exit_code) == (expected, EXIT_CODES[expected]), run.output


@pytest.mark.parametrize("scenario_name", NAMES)
def test_every_check_has_its_expected_outcome(
    profile_runner: ProfileRunner, scenario_name: str
) -> None:
    """Every metric check ran; the breached ones have the expected outcome, all others pass."""
    checks = profile_runner.run(scenario_name).checks()
    failing = BY_NAME[scenario_name].failing
    outcomes = {c: checks[c]["outcome"] for c in PROFILE_CHECKS if c in checks}
    assert outcomes == {c: failing.get(c, "pass") for c in PROFILE_CHECKS}


@pytest.mark.parametrize(
    ("scenario_name", "check_id", "model", "series"),
    [
        ("ttft-breach", "test_ttft_p99", QWEN, "vllm:time_to_first_token_seconds"),
        ("itl-breach", "test_inter_token_latency_p99", LLAMA, "vllm:inter_token_latency_seconds"),
        ("kv-cache-full", "test_kv_cache_usage", LLAMA, "vllm:kv_cache_usage_perc"),
        ("preemptions", "test_preemptions", QWEN, "vllm:num_preemptions_total"),
    ],
)
def test_failing_check_names_the_model_and_the_vllm_series(
    profile_runner: ProfileRunner, scenario_name: str, check_id: str, model: str, series: str
) -> None:
    """The message of a failing per-model check names the model and vLLM's series."""
    message = str(profile_runner.run(scenario_name).checks()[check_id]["message"])
    assert f"model_name={model}" in message and series in message, message


@pytest.mark.parametrize("scenario_name", ["ttft-breach"])
def test_ttft_breach_reports_every_model(profile_runner: ProfileRunner, scenario_name: str) -> None:
    """The report lists both models' p99; only the slow one fails (3 s lies in 2.5..5)."""
    ttft = profile_runner.run(scenario_name).checks()["test_ttft_p99"]
    values = {s["labels"]["model_name"]: (s["value"], s["passed"]) for s in ttft["series"]}
    assert values[QWEN][1] is False and 2.5 < values[QWEN][0] <= 5.0
    assert values[LLAMA][1] is True
    assert (ttft["threshold"], ttft["unit"]) == (2.0, "s")


@pytest.mark.parametrize("scenario_name", ["api-5xx"])
def test_api_5xx_names_the_grouped_status_series(
    profile_runner: ProfileRunner, scenario_name: str
) -> None:
    """5% of the API server's requests answered "5xx" is reported against the 0.5% limit."""
    errors = profile_runner.run(scenario_name).checks()["test_api_5xx_rate"]
    assert errors["value"] == pytest.approx(0.05, abs=0.001)
    assert "http_requests_total" in str(errors["message"])


@pytest.mark.parametrize("scenario_name", ["old-vllm"])
def test_version_without_error_reason_is_not_applicable_with_reason(
    profile_runner: ProfileRunner, scenario_name: str
) -> None:
    """No finished_reason="error" series: not_applicable saying so, never a pass; the renamed
    series (time_per_output_token, gpu_cache_usage) are read in their place."""
    checks = profile_runner.run(scenario_name).checks()
    errors = checks["test_engine_errors"]
    assert errors["outcome"] == "not_applicable"
    assert 'finished_reason="error"' in str(errors["message"])
    assert "not exported" in str(errors["message"])
    assert "vllm:time_per_output_token_seconds" in str(
        checks["test_inter_token_latency_p99"]["query"]
    )
    assert "vllm:gpu_cache_usage_perc" in str(checks["test_kv_cache_usage"]["query"])


@pytest.mark.parametrize("scenario_name", ["model-born-inside"])
def test_model_born_inside_the_window_is_counted_from_zero(
    profile_runner: ProfileRunner, scenario_name: str
) -> None:
    """A model whose first sample is 150 s before T counts that sample's requests too."""
    errors = profile_runner.run(scenario_name).checks()["test_engine_errors"]
    samples = {s["labels"]["model_name"]: s["samples"] for s in errors["series"]}
    born_steps = BORN_SECONDS_AGO // STEP_SECONDS + 1
    assert samples[QWEN] == pytest.approx(born_steps * REQUESTS_PER_STEP)
    assert samples[LLAMA] == pytest.approx(300 // STEP_SECONDS * REQUESTS_PER_STEP)


@pytest.mark.parametrize("scenario_name", ["engine-not-scraped"])
def test_engine_absent_altogether_is_no_data_not_not_applicable(
    profile_runner: ProfileRunner, scenario_name: str
) -> None:
    """With no vLLM series in the source at all, absent metrics fail closed (a wrong selector
    or a dead scrape must not read as "this version does not export it")."""
    ttft = profile_runner.run(scenario_name).checks()["test_ttft_p99"]
    assert "holds no series of the engine" in str(ttft["message"])


@pytest.mark.parametrize("scenario_name", ["old-vllm", "ttft-breach"])
def test_replay_reproduces_outcomes_values_and_not_applicable(
    profile_runner: ProfileRunner, scenario_name: str
) -> None:
    """Offline from the live run's recording: the same verdict, outcomes, values and reasons
    (presence answers are recorded like any other)."""

    def essence(run: GateRun) -> tuple[object, ...]:
        checks = run.checks()
        rows = [(c, checks[c]["outcome"], checks[c]["value"], checks[c]["message"]) for c in checks]
        return run.report["verdict"], run.exit_code, sorted(rows, key=lambda r: str(r[0]))

    live = profile_runner.run(scenario_name)
    replayed = profile_runner.replay(scenario_name)
    assert essence(replayed) == essence(live)
    assert replayed.report["source"]["kind"] == "replay"
