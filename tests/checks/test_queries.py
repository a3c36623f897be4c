"""The default gate's queries: built from gate.toml, planned exactly as the checks ask them."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate_checks.queries import (
    GatedJobs,
    cache_counter_ratios,
    one_of,
    p95_latency,
    plan,
    resource_usage,
    rl_loss_now,
    scrape_targets,
    target_jobs,
)
from pytest_gate.config.gateconfig import GateConfig, load_config
from pytest_gate.core.query import Matcher, RawPromQL, Selector, SustainedQuantile
from pytest_gate.sources.promql import display

ROOT = Path(__file__).resolve().parents[2]


def config_with(tmp_path: Path, old: str, new: str) -> GateConfig:
    text = (ROOT / "gate_checks" / "gate.toml").read_text()
    assert old in text
    path = tmp_path / "gate.toml"
    path.write_text(text.replace(old, new, 1))
    return load_config(path)


@pytest.fixture(scope="module")
def default() -> GateConfig:
    return load_config(ROOT / "gate_checks" / "gate.toml")


def test_one_value_is_an_equality_matcher() -> None:
    """A single value matches with =."""
    assert one_of("loss_type", ("total_loss",)) == Matcher("loss_type", "=", "total_loss")


def test_several_values_are_one_escaped_regex() -> None:
    """Several values match literally through one regex."""
    assert one_of("job", ("serving", "a.b")) == Matcher("job", "=~", r"serving|a\.b")


def test_metric_names_come_from_the_config(tmp_path: Path) -> None:
    """Renaming a metric in [metrics] renames it in the query."""
    config = config_with(
        tmp_path, 'brief_latency = "llm_brief_latency_seconds"', 'brief_latency = "lat_seconds"'
    )
    assert p95_latency(config, "fast").metric == Selector(
        "lat_seconds", (Matcher("mode", "=", "fast"),)
    )


def test_rl_loss_selects_the_configured_loss_types(default: GateConfig) -> None:
    """The loss query selects loss_type from the config."""
    query = rl_loss_now(default, ("total_loss", "value_loss"))
    assert query.selector.matchers == (Matcher("loss_type", "=~", "total_loss|value_loss"),)


def test_cache_ratios_are_hits_per_miss_and_misses_per_hit(default: GateConfig) -> None:
    """The two counter ratios behind the hit share, over the configured window."""
    by_misses, by_hits = cache_counter_ratios(default, "fast")
    assert (by_misses.numerator.metric, by_misses.denominator.metric) == (
        "cache_hits_total",
        "cache_misses_total",
    )
    assert (by_hits.numerator, by_hits.denominator) == (by_misses.denominator, by_misses.numerator)
    assert by_misses.window_seconds == 1800


def test_resource_query_gets_the_label_selector(tmp_path: Path) -> None:
    """${selector} becomes the [gate] matchers, each followed by a comma, on one line."""
    config = config_with(tmp_path, "label_selector = {}", 'label_selector = { namespace = "prod" }')
    expr = resource_usage(config.checks.memory_usage, config).expr
    assert 'container_memory_working_set_bytes{namespace="prod",container!=""' in expr
    assert 'kube_pod_container_resource_limits{namespace="prod",resource="memory"}' in expr
    assert "\n" not in expr


def test_resource_query_without_selector_has_no_placeholder(default: GateConfig) -> None:
    """With an empty selector the placeholder disappears."""
    expr = resource_usage(default.checks.cpu_usage, default).expr
    assert "${selector}" not in expr
    assert 'kube_pod_container_resource_limits{resource="cpu"}' in expr


def test_sustained_quantile_renders_inner_windows_across_the_outer(default: GateConfig) -> None:
    """The sustained creative p95 is the minimum of 1m p95s over 5m at 30s steps."""
    (query,) = [q for q in plan(default) if isinstance(q, SustainedQuantile)]
    buckets = 'llm_brief_latency_seconds_bucket{mode="creative"}'
    assert display(query, ()) == (
        "min_over_time((histogram_quantile(0.95, sum by (le) "
        f"(((last_over_time({buckets}[1m]) - last_over_time({buckets}[1h] offset 1m)) >= 0) "
        f"or last_over_time({buckets}[1m]))))[5m:30s])"
    )


def test_plan_lists_one_query_per_question(default: GateConfig) -> None:
    """The default plan: 5xx, schema, 3 p95s, sustained, 2 loss + baseline, reward, 4 cache
    ratios, CPU, memory and the targets of serving, worker-rl and the GPU exporter; the creative
    p95 and the current loss are asked once each."""
    assert len(plan(default)) == len(set(plan(default))) == 18


def test_plan_leaves_out_checks_that_do_not_apply(tmp_path: Path) -> None:
    """Without worker-rl no RL query is planned; disabled checks plan nothing."""
    config = config_with(
        tmp_path, 'components = ["serving", "worker-rl"]', 'components = ["serving"]'
    )
    names = {getattr(getattr(q, "selector", None), "metric", None) for q in plan(config)}
    assert "rl_loss" not in names
    assert "rl_reward_ma" not in names
    assert sum(isinstance(q, RawPromQL) for q in plan(config)) == 2


@pytest.mark.parametrize(
    ("part", "gpu_source", "jobs"),
    [
        ("serving", None, ("serving",)),
        ("worker-rl", None, ("worker-rl",)),
        ("gpu-exporter", None, ("gpu-exporter",)),
        ("gpu-exporter", "prometheus", ("gpu-exporter",)),
        ("gpu-exporter", "replay", ("gpu-exporter",)),
    ],
)
def test_default_gate_gates_every_part_it_reads(
    default: GateConfig, part: str, gpu_source: str | None, jobs: tuple[str, ...]
) -> None:
    """Serving, the RL worker and the GPU exporter (read from the metric source) are gated."""
    assert target_jobs(default, part, gpu_source) == GatedJobs(jobs, "")


@pytest.mark.parametrize(
    ("part", "old", "new", "gpu_source", "reason"),
    [
        (
            "worker-rl",
            'components = ["serving", "worker-rl"]',
            'components = ["serving"]',
            None,
            "component worker-rl is not deployed",
        ),
        ("gpu-exporter", 'gpus = "required"', 'gpus = "none"', None, "no GPUs in this deployment"),
        ("gpu-exporter", "", "", "nvml", "the VRAM checks read NVML on this machine"),
        ("gpu-exporter", "", "", "none", "--gpu-source none"),
        ("extra", "", "", None, "no extra jobs ([checks.scrape_targets_up] extra_jobs = [])"),
    ],
    ids=["rl-not-deployed", "no-gpus", "nvml", "gpu-source-none", "no-extra-jobs"],
)
def test_part_no_enabled_check_reads_is_not_gated_and_says_why(
    tmp_path: Path, part: str, old: str, new: str, gpu_source: str | None, reason: str
) -> None:
    """A part no enabled check reads here has no jobs, and the reason names the cause."""
    gated = target_jobs(config_with(tmp_path, old, new), part, gpu_source)
    assert gated.jobs == ()
    assert reason in gated.reason


def test_every_rl_check_disabled_leaves_the_worker_ungated(tmp_path: Path) -> None:
    """With the RL worker deployed but none of its checks enabled, its targets are not gated."""
    text = (ROOT / "gate_checks" / "gate.toml").read_text()
    for table in ("rl_loss_ceiling", "rl_loss_vs_baseline", "rl_reward_trend"):
        header = f"[checks.{table}]\n"
        start = text.index(header)
        text = text[:start] + text[start:].replace("enabled = true", "enabled = false", 1)
    path = tmp_path / "gate.toml"
    path.write_text(text)
    gated = target_jobs(load_config(path), "worker-rl")
    assert gated.jobs == ()
    assert "rl_loss_ceiling: disabled in gate.toml" in gated.reason


def test_extra_jobs_are_one_regex_and_planned(tmp_path: Path) -> None:
    """Extra jobs are gated together, matched literally, and their query is planned."""
    config = config_with(tmp_path, "extra_jobs = []", 'extra_jobs = ["kube-state-metrics", "a.b"]')
    gated = target_jobs(config, "extra")
    assert gated == GatedJobs(("kube-state-metrics", "a.b"), "")
    assert scrape_targets(gated.jobs) in plan(config)
    shown = display(scrape_targets(gated.jobs), ())
    assert shown == 'up{job=~"kube\\\\-state\\\\-metrics|a\\\\.b"}'


def test_dcgm_preset_gates_the_dcgm_exporter_job(tmp_path: Path) -> None:
    """With gpu_exporter = "dcgm" the GPU exporter part gates job dcgm-exporter."""
    config = config_with(tmp_path, 'gpu_exporter = "pytest-gate"', 'gpu_exporter = "dcgm"')
    assert target_jobs(config, "gpu-exporter", "prometheus").jobs == ("dcgm-exporter",)
    assert scrape_targets(("dcgm-exporter",)) in plan(config)
