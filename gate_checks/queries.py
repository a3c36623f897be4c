"""The metric questions of the default gate, built from the config (pure; no I/O).

Checks and the prefetch plan (``pytest_gate_plan`` in ``conftest.py``) build their queries here, so
the plan lists exactly what the checks ask and the session cache answers each once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from string import Template

from pytest_gate import (
    MODES,
    AvgOverTime,
    CanarySelection,
    GateConfig,
    Gauge,
    Matcher,
    Quantile,
    Query,
    RangeSeries,
    Ratio,
    RawPromQL,
    ResourceUsage,
    Selector,
    SustainedQuantile,
    narrowed,
    quote,
)

P95 = 0.95
LATENCY_MODES = MODES
CACHED_MODES = ("fast", "balanced")
CREATIVE = "creative"
TARGET_UP = 1.0
UP_METRIC = "up"
MODE = "mode"
STATUS = "status"
HANDLER = "handler"
ALGORITHM = "algorithm"
LOSS_TYPE = "loss_type"
REWARD_WINDOW = "window"
JOB = "job"
INSTANCE = "instance"
SERVING_PART = "serving"
WORKER_RL_PART = "worker-rl"
GPU_EXPORTER_PART = "gpu-exporter"
EXTRA_PART = "extra"
TARGET_PARTS = (SERVING_PART, WORKER_RL_PART, GPU_EXPORTER_PART, EXTRA_PART)
"""The parts of the deployment whose scrape targets the gate depends on (one check each)."""
READERS: dict[str, tuple[str, ...]] = {
    SERVING_PART: (
        "api_5xx_rate",
        "schema_failure_rate",
        "p95_latency",
        "creative_p95_sustained",
        "cache_hit_rate",
        "canary_5xx_rate",
        "canary_schema_repairs",
        "canary_p95_latency",
    ),
    WORKER_RL_PART: ("rl_loss_ceiling", "rl_loss_vs_baseline", "rl_reward_trend"),
    GPU_EXPORTER_PART: ("vram_headroom", "vram_headroom_margin"),
}
"""The checks that read each part's metrics from the metric source."""
NOT_FROM_EXPORTER = {
    "nvml": "the VRAM checks read NVML on this machine, not the GPU exporter (--gpu-source)",
    "none": "the VRAM checks read no GPU source (--gpu-source none)",
}
"""GPU snapshot sources that do not read the GPU exporter, and why its targets are not gated."""


@dataclass(frozen=True)
class GatedJobs:
    """The jobs of one part whose targets must be up; ``reason`` says why none, if so."""

    jobs: tuple[str, ...]
    reason: str


def one_of(label: str, values: tuple[str, ...]) -> Matcher:
    """``label="v"`` for one value, ``label=~"v1|v2"`` for several (values matched literally)."""
    if len(values) == 1:
        return Matcher(label, "=", values[0])
    return Matcher(label, "=~", "|".join(re.escape(v) for v in values))


def api_5xx_rate(config: GateConfig) -> Ratio:
    """5xx responses / all API responses (probes and scrapes left out) over the window."""
    check = config.checks.api_5xx_rate
    requests = Selector(config.metrics.http_requests).where(
        HANDLER, "!~", check.probe_handler_regex
    )
    errors = requests.where(STATUS, "=~", check.error_status_regex)
    return Ratio(errors, requests, check.window_seconds)


def schema_failure_rate(config: GateConfig) -> Ratio:
    """Schema repairs / briefs over the window (an absent repair counter is a real 0)."""
    check = config.checks.schema_failure_rate
    fixes = Selector(config.metrics.schema_fixes)
    return Ratio(fixes, Selector(config.metrics.briefs), check.window_seconds)


def p95_latency(config: GateConfig, mode: str) -> Quantile:
    """p95 brief latency of one mode over the window."""
    latency = Selector.of(config.metrics.brief_latency, **{MODE: mode})
    return Quantile(latency, P95, config.checks.p95_latency.window_seconds)


def creative_p95_sustained(config: GateConfig) -> SustainedQuantile:
    """The lowest creative p95 of the short windows across the sustained window."""
    check = config.checks.creative_p95_sustained
    latency = Selector.of(config.metrics.brief_latency, **{MODE: CREATIVE})
    return SustainedQuantile(
        latency,
        P95,
        inner_seconds=check.inner_window_seconds,
        outer_seconds=check.sustained_seconds,
        step_seconds=check.step_seconds,
    )


def rl_loss(config: GateConfig, loss_types: tuple[str, ...]) -> Selector:
    """The RL loss series of the given loss types (every algorithm)."""
    return Selector(config.metrics.rl_loss, (one_of(LOSS_TYPE, loss_types),))


def rl_loss_now(config: GateConfig, loss_types: tuple[str, ...]) -> Gauge:
    """Every RL loss series' current value."""
    return Gauge(rl_loss(config, loss_types))


def rl_loss_baseline(config: GateConfig) -> AvgOverTime:
    """Every RL loss series' average over the baseline window."""
    check = config.checks.rl_loss_vs_baseline
    return AvgOverTime(rl_loss(config, check.loss_types), check.baseline_window_seconds)


def rl_reward_range(config: GateConfig) -> RangeSeries:
    """The reward moving average of every algorithm over the trend window."""
    check = config.checks.rl_reward_trend
    reward = Selector.of(config.metrics.rl_reward, **{REWARD_WINDOW: check.reward_ma_window})
    return RangeSeries(reward, check.window_seconds, check.step_seconds)


def cache_counter_ratios(config: GateConfig, mode: str) -> tuple[Ratio, Ratio]:
    """hits / misses and misses / hits of one mode over the window.

    Together they give hits / (hits + misses) with every case kept apart (see
    :func:`gate_checks.answers.hit_share`). A single Ratio over ``{__name__=~"hits|misses"}``
    cannot: Prometheus 2 rejects ``increase()`` over two names whose other labels are equal.
    """
    names = config.metrics
    window = config.checks.cache_hit_rate.window_seconds
    hits = Selector.of(names.cache_hits, **{MODE: mode})
    misses = Selector.of(names.cache_misses, **{MODE: mode})
    return Ratio(hits, misses, window), Ratio(misses, hits, window)


def resource_usage(check: ResourceUsage, config: GateConfig) -> RawPromQL:
    """The configured usage / limit PromQL with ``${selector}`` filled in."""
    selector = "".join(f"{m.label}={quote(m.value)}," for m in config.label_matchers)
    return RawPromQL(" ".join(Template(check.query).substitute(selector=selector).split()))


def scrape_targets(jobs: tuple[str, ...]) -> Gauge:
    """``up`` of every target of ``jobs``."""
    return Gauge(Selector(UP_METRIC, (one_of(JOB, jobs),)))


def target_jobs(config: GateConfig, part: str, gpu_source: str | None = None) -> GatedJobs:
    """The jobs of one part whose targets must be up, or why no enabled check reads it here.

    ``gpu_source`` is where the GPU snapshot read the GPUs (``nvml``, ``none`` or the metric
    source's kind); the GPU exporter's job is gated only when the VRAM checks read its metrics.
    """
    targets = config.checks.scrape_targets_up
    if part == EXTRA_PART:
        reason = "no extra jobs ([checks.scrape_targets_up] extra_jobs = [])"
        return GatedJobs(targets.extra_jobs, "" if targets.extra_jobs else reason)
    jobs = {
        SERVING_PART: targets.serving_job,
        WORKER_RL_PART: targets.worker_rl_job,
        GPU_EXPORTER_PART: config.gpu_exporter_job,
    }
    readers = [name for name in READERS[part] if config.check_enablement(name) is None]
    if not readers:
        first = READERS[part][0]
        why = config.check_enablement(first) or "disabled"
        return GatedJobs((), f"no enabled check reads {part} ({first}: {why})")
    if part == GPU_EXPORTER_PART and gpu_source in NOT_FROM_EXPORTER:
        return GatedJobs((), NOT_FROM_EXPORTER[gpu_source])
    return GatedJobs((jobs[part],), "")


def planned_target_jobs(config: GateConfig) -> list[tuple[str, ...]]:
    """The jobs of every part the targets check may gate (the GPU exporter's whenever the VRAM
    checks apply: which GPU source they read is known only when they run)."""
    gated = (target_jobs(config, part) for part in TARGET_PARTS)
    return [jobs.jobs for jobs in gated if jobs.jobs]


def canary_5xx_rate(
    config: GateConfig, side: tuple[Matcher, ...], window_seconds: int | None = None
) -> Ratio:
    """5xx / API requests of one side (canary or baseline), as api_5xx_rate counts them.

    ``window_seconds`` replaces the check's window (a watch counts since its first round).
    """
    api = api_5xx_rate(config)
    window = window_seconds or config.checks.canary_5xx_rate.window_seconds
    return Ratio(narrowed(api.numerator, side), narrowed(api.denominator, side), window)


def canary_schema_repairs(config: GateConfig, side: tuple[Matcher, ...]) -> Ratio:
    """Schema repairs / briefs of one side over the canary schema window."""
    schema = schema_failure_rate(config)
    window = config.checks.canary_schema_repairs.window_seconds
    return Ratio(narrowed(schema.numerator, side), narrowed(schema.denominator, side), window)


def canary_p95(config: GateConfig, mode: str, side: tuple[Matcher, ...]) -> Quantile:
    """p95 brief latency of one mode and one side over the canary latency window."""
    latency = Selector.of(config.metrics.brief_latency, **{MODE: mode})
    window = config.checks.canary_p95_latency.window_seconds
    return Quantile(narrowed(latency, side), P95, window)


def canary_plan(config: GateConfig, selection: CanarySelection) -> list[Query]:
    """Every query of the enabled canary checks, for both sides."""
    wanted: dict[str, list[Query]] = {
        "canary_5xx_rate": [
            canary_5xx_rate(config, side) for side in (selection.canary, selection.baseline)
        ],
        "canary_schema_repairs": [canary_schema_repairs(config, selection.canary)],
        "canary_p95_latency": [
            canary_p95(config, mode, side)
            for mode in LATENCY_MODES
            for side in (selection.canary, selection.baseline)
        ],
    }
    return [q for name, qs in wanted.items() if config.check_enablement(name) is None for q in qs]


def plan(config: GateConfig) -> list[Query]:
    """Every query the enabled, applicable checks will ask, once (GPU queries: the GPU snapshot's)."""
    wanted: dict[str, list[Query]] = {
        "api_5xx_rate": [api_5xx_rate(config)],
        "schema_failure_rate": [schema_failure_rate(config)],
        "p95_latency": [p95_latency(config, mode) for mode in LATENCY_MODES],
        "creative_p95_sustained": [
            p95_latency(config, CREATIVE),
            creative_p95_sustained(config),
        ],
        "rl_loss_ceiling": [rl_loss_now(config, config.checks.rl_loss_ceiling.loss_types)],
        "rl_loss_vs_baseline": [
            rl_loss_now(config, config.checks.rl_loss_vs_baseline.loss_types),
            rl_loss_baseline(config),
        ],
        "rl_reward_trend": [rl_reward_range(config)],
        "cache_hit_rate": [q for mode in CACHED_MODES for q in cache_counter_ratios(config, mode)],
        "cpu_usage": [resource_usage(config.checks.cpu_usage, config)],
        "memory_usage": [resource_usage(config.checks.memory_usage, config)],
        "scrape_targets_up": [scrape_targets(jobs) for jobs in planned_target_jobs(config)],
    }
    applicable = (
        query
        for name, queries in wanted.items()
        if config.check_enablement(name) is None
        for query in queries
    )
    return list(dict.fromkeys(applicable))
