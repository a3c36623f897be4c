"""Golden scenarios: one deployment state per scenario, all in one backfilled Prometheus.

Every scenario writes the full metric contract (DESIGN §6) under its own ``namespace`` label; the
gate selects a scenario through ``[gate] label_selector``. Each starts from a healthy deployment,
changes one thing (or a few), and says which checks must not pass.
"""

from __future__ import annotations

from tests.checks.canary_data import CANARY_SCENARIOS, write_canary
from tests.checks.deployment import HEALTHY_LATENCY, Algorithm, NewInstance, Scenario, write
from tests.support.prometheus_server import OpenMetrics


def runaway(loss: float) -> Algorithm:
    """An algorithm at 0.3 for two hours whose loss jumped to ``loss`` for the last 5 minutes."""
    return Algorithm(loss=0.3, runaway_loss=loss, runaway_seconds=300)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("healthy", "GO"),
    Scenario("fix-counter-absent", "GO", fix_counter_present=False),
    Scenario("api-errors", "NO-GO", {"test_api_5xx_rate": "fail"}, error_share=0.02),
    Scenario(
        "schema-repairs", "NO-GO", {"test_schema_failure_rate": "fail"}, schema_fixes_per_step=1.0
    ),
    Scenario(
        "rl-loss-ceiling",
        "NO-GO",
        {"test_rl_loss_ceiling": "fail"},
        algorithms={"ppo": Algorithm(loss=2.5)},
    ),
    Scenario(
        "rl-loss-vs-baseline",
        "NO-GO",
        {"test_rl_loss_vs_baseline": "fail"},
        algorithms={"ppo": runaway(1.5)},
    ),
    Scenario(
        "rl-two-algorithms",
        "NO-GO",
        {"test_rl_loss_vs_baseline": "fail"},
        algorithms={"ppo": Algorithm(), "dpo": runaway(1.5)},
    ),
    Scenario(
        "gpu-one-bad",
        "NO-GO",
        {"test_vram_headroom": "fail", "test_vram_headroom_margin": "fail"},
        gpu_free_ratios=(0.45, 0.40, 0.10, 0.50),
    ),
    # One line in gate.toml: dcgm-exporter's MiB gauges without a total, one H100 at 10% free.
    Scenario(
        "dcgm-one-bad",
        "NO-GO",
        {"test_vram_headroom": "fail", "test_vram_headroom_margin": "fail"},
        gpu_free_ratios=(0.45, 0.10),
        gpu_exporter="dcgm",
        config_edits=(('gpu_exporter = "pytest-gate"', 'gpu_exporter = "dcgm"'),),
    ),
    # nvidia_gpu_exporter: memory gauges labelled by uuid only, names in nvidia_smi_gpu_info.
    Scenario(
        "nvidia-smi-one-bad",
        "NO-GO",
        {"test_vram_headroom": "fail", "test_vram_headroom_margin": "fail"},
        gpu_free_ratios=(0.45, 0.10),
        gpu_exporter="nvidia-smi",
        config_edits=(('gpu_exporter = "pytest-gate"', 'gpu_exporter = "nvidia-smi"'),),
    ),
    Scenario(
        "gpu-exporter-absent",
        "NO-GO",
        {
            "test_vram_headroom": "no_data",
            "test_vram_headroom_margin": "no_data",
            "test_scrape_targets_up[gpu-exporter]": "no_data",
        },
        gpu_free_ratios=None,
    ),
    # Two exporter nodes; node-b's exporter died 10 minutes ago, so its GPUs are stale at T. The
    # VRAM checks pass on node-a's two GPUs; the dead target makes the gate NO-GO, named.
    Scenario(
        "gpu-exporter-target-down",
        "NO-GO",
        {"test_scrape_targets_up[gpu-exporter]": "fail"},
        lost_gpu_node=True,
    ),
    Scenario(
        "no-traffic",
        "NO-GO",
        {
            "test_api_5xx_rate": "no_data",
            "test_schema_failure_rate": "no_data",
            "test_p95_latency[fast]": "no_data",
            "test_p95_latency[balanced]": "no_data",
            "test_p95_latency[creative]": "no_data",
            "test_creative_p95_sustained": "no_data",
            "test_cache_hit_rate[fast]": "no_data",
            "test_cache_hit_rate[balanced]": "no_data",
        },
        traffic=False,
    ),
    Scenario(
        "serving-down",
        "NO-GO",
        {"test_scrape_targets_up[serving]": "fail"},
        serving_up=(1.0, 0.0),
    ),
    Scenario(
        "creative-slow-1m",
        "WARNING",
        {"test_p95_latency[creative]": "fail"},
        creative_slow_seconds=60,
    ),
    Scenario(
        "creative-slow-15m",
        "NO-GO",
        {"test_p95_latency[creative]": "fail", "test_creative_p95_sustained": "fail"},
        creative_slow_seconds=900,
    ),
    Scenario(
        "fast-slow",
        "WARNING",
        {"test_p95_latency[fast]": "fail"},
        latency={**HEALTHY_LATENCY, "fast": 2.8},
    ),
    Scenario(
        "cache-cold",
        "WARNING",
        {"test_cache_hit_rate[balanced]": "fail"},
        hit_share={"fast": 0.8, "balanced": 0.4, "creative": 0.5},
    ),
    Scenario("cpu-hot", "WARNING", {"test_cpu_usage": "fail"}, cpu_cores=1.8),
    Scenario("memory-full", "WARNING", {"test_memory_usage": "fail"}, memory_bytes=7.5 * 2**30),
    Scenario(
        "reward-falling",
        "WARNING",
        {"test_rl_reward_trend": "fail"},
        algorithms={"ppo": Algorithm(reward_slope_per_hour=-0.3)},
    ),
    Scenario(
        "vram-margin",
        "WARNING",
        {"test_vram_headroom_margin": "fail"},
        gpu_free_ratios=(0.40, 0.22),
    ),
    Scenario(
        "warnings-and-one-critical",
        "NO-GO",
        {
            "test_p95_latency[fast]": "fail",
            "test_cache_hit_rate[balanced]": "fail",
            "test_api_5xx_rate": "fail",
        },
        error_share=0.02,
        latency={**HEALTHY_LATENCY, "fast": 2.8},
        hit_share={"fast": 0.8, "balanced": 0.4, "creative": 0.5},
    ),
    Scenario(
        "serving-only-without-gpus",
        "GO",
        {
            "test_rl_loss_ceiling": "not_applicable",
            "test_rl_loss_vs_baseline": "not_applicable",
            "test_rl_reward_trend": "not_applicable",
            "test_vram_headroom": "not_applicable",
            "test_vram_headroom_margin": "not_applicable",
            "test_scrape_targets_up[worker-rl]": "not_applicable",
            "test_scrape_targets_up[gpu-exporter]": "not_applicable",
        },
        algorithms={},
        gpu_free_ratios=None,
        config_edits=(
            ('components = ["serving", "worker-rl"]', 'components = ["serving"]'),
            ('gpus = "required"', 'gpus = "none"'),
        ),
    ),
)
NEW_INSTANCE_SCENARIOS = (
    # A new pod whose first scrape already carries schema repairs: counted from zero, they count.
    Scenario(
        "new-instance-repairs",
        "NO-GO",
        {"test_schema_failure_rate": "fail"},
        new_instance=NewInstance(first_fixes=3.0),
    ),
    # The same pod born healthy; its readiness probe answered 503 while loading (not API traffic).
    Scenario("new-instance-healthy", "GO", new_instance=NewInstance(probe_503s=8.0)),
    # 8 errors in its first sample: about 0.7% of the requests when counted, 0% when not.
    Scenario(
        "new-instance-5xx",
        "NO-GO",
        {"test_api_5xx_rate": "fail"},
        new_instance=NewInstance(first_errors=8.0),
    ),
    # A pod scraped once in the window: no increase can be measured there, so no data.
    Scenario(
        "scraped-once",
        "NO-GO",
        {"test_api_5xx_rate": "no_data", "test_schema_failure_rate": "no_data"},
        new_instance=NewInstance(age_seconds=20, samples=1),
    ),
)
GAP_AT_START = (2370, 1560)
"""Serving unscraped from 39m30s to 26m before T: across the 30m windows' start, 9m before it."""
COUNTING_SCENARIOS = (
    # DESIGN §2 "Exact window counting" at every edge (issue 21).
    # A new pod with 3 repairs at its first scrape restarts: the 3 still count (exactly 3).
    Scenario(
        "born-repairs-reset",
        "NO-GO",
        {"test_schema_failure_rate": "fail"},
        new_instance=NewInstance(first_fixes=3.0, resets=(3,)),
    ),
    # A new pod with 8 errors at its first scrape restarts twice: the 8 still count.
    Scenario(
        "born-5xx-resets-twice",
        "NO-GO",
        {"test_api_5xx_rate": "fail"},
        new_instance=NewInstance(first_errors=8.0, resets=(2, 4)),
    ),
    # 40 repairs long ago, a scrape gap across the window's start: bridged, nothing new, GO.
    Scenario("gap-at-start-old-repairs", "GO", fixes_before=40.0, scrape_gap=GAP_AT_START),
    # The same gap, with 5 repairs during it inside the window: they count.
    Scenario(
        "gap-at-start-new-repairs",
        "NO-GO",
        {"test_schema_failure_rate": "fail"},
        fixes_before=40.0,
        fixes_at=((1680, 5.0),),
        scrape_gap=GAP_AT_START,
    ),
    # An overloaded pod fails its scrapes for 6 minutes while answering 3% 5xx.
    Scenario(
        "gap-inside-5xx",
        "NO-GO",
        {"test_api_5xx_rate": "fail"},
        error_burst=(420, 60, 0.03),
        scrape_gap=(420, 60),
    ),
    # 3 repairs made while the pod was not scraped for 8 minutes inside the 30m window.
    Scenario(
        "gap-inside-repairs",
        "NO-GO",
        {"test_schema_failure_rate": "fail"},
        fixes_at=((960, 3.0),),
        scrape_gap=(1200, 720),
    ),
    # The gap at the start is longer than a 5m look-back: the series began inside the window as
    # far as the gate can tell, counted from zero with their lifetime values (named as such).
    Scenario(
        "gap-beyond-lookback",
        "NO-GO",
        {"test_schema_failure_rate": "fail"},
        fixes_before=40.0,
        scrape_gap=GAP_AT_START,
        config_edits=(("lookback_seconds = 3600", "lookback_seconds = 300"),),
    ),
    # Every serving process restarted exactly at the 30m windows' start: the 40 old repairs
    # before it stay outside the window.
    Scenario("reset-at-window-start", "GO", fixes_before=40.0, reset_at=1800),
)
SCENARIOS += NEW_INSTANCE_SCENARIOS + COUNTING_SCENARIOS
BY_NAME = {s.name: s for s in SCENARIOS}


def openmetrics() -> OpenMetrics:
    """Every scenario's series (the canary scenarios' too) in one OpenMetrics file."""
    om = OpenMetrics()
    for scenario in SCENARIOS:
        write(om, scenario)
    for canary in CANARY_SCENARIOS:
        write_canary(om, canary)
    return om
