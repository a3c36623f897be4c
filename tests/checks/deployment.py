"""One deployment's metrics for the golden scenarios, written as OpenMetrics for a backfill.

A :class:`Scenario` describes a deployment state (healthy by default) and what the gate must say
about it; :func:`write` adds its series under its own ``namespace`` label. Timestamps are relative to
the fixed evaluation instant :data:`T` (passed to the gate with ``--gate-time``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

from tests.support.exporter_shapes import (
    H100_DCGM_TOTAL_MIB,
    H100_RESERVED_MIB,
    H100_SMI_TOTAL_BYTES,
    SMI_INSTANCE,
    DcgmGpu,
    SmiGpu,
    write_dcgm,
    write_nvidia_smi,
)
from tests.support.prometheus_server import OpenMetrics

T = 1_749_999_600  # 2025-06-15T15:00:00Z, a multiple of 60 s so steps line up with T
COUNTER_STEP_SECONDS = 30
COUNTER_HISTORY_SECONDS = 40 * 60  # the 30m windows, plus room for a scrape gap before them
GAUGE_STEP_SECONDS = 60
RL_HISTORY_SECONDS = 140 * 60  # the 2h baseline and trend windows, plus margin
GAUGE_HISTORY_SECONDS = 15 * 60  # other gauges are read at T only
BUCKETS = (0.5, 1.0, 2.5, 3.2, 4.5, 6.0, 10.0, math.inf)
MODES = ("fast", "balanced", "creative")
REQUESTS_PER_STEP = 60.0
BRIEFS_PER_STEP = 15.0
LOOKUPS_PER_STEP = 20.0
HEALTHY_LATENCY = {"fast": 0.8, "balanced": 1.5, "creative": 2.0}
SLOW_CREATIVE_SECONDS = 5.5
GPU_TOTAL_BYTES = 80e9
CPU_LIMIT_CORES = 2.0
MEMORY_LIMIT_BYTES = 8 * 2**30
MODEL_BY_MODE = {"fast": "mistral_7b", "balanced": "llama3_8b", "creative": "qwen_32b"}
GPU_EXPORTER_TARGETS = {
    "pytest-gate": {"job": "gpu-exporter", "instance": "node-a:9400"},
    "dcgm": {"job": "dcgm-exporter", "instance": "gpu-node-1:9400"},
    "nvidia-smi": {"job": "nvidia-smi-exporter", "instance": SMI_INSTANCE},
}
"""Each exporter shape's scrape target (the job its gpu_exporter preset gates by default)."""
LOST_GPU_NODE = {"job": "gpu-exporter", "instance": "node-b:9400"}
LOST_GPU_NODE_DOWN_SECONDS = 600
"""How long before T the lost GPU node's exporter stopped answering scrapes."""


@dataclass(frozen=True)
class Algorithm:
    """One RL algorithm's loss and reward history."""

    loss: float = 0.5
    runaway_loss: float | None = None
    runaway_seconds: int = 0
    reward_slope_per_hour: float = 0.1


@dataclass(frozen=True)
class NewInstance:
    """A serving pod that started inside every window: its first sample comes ``age_seconds``
    before T and already carries what it counted before Prometheus first scraped it.

    After the first sample it serves healthy traffic; ``samples`` scrapes of it are in the data.
    """

    age_seconds: int = 150
    samples: int = 6
    first_requests: float = 200.0
    first_errors: float = 0.0
    first_briefs: float = 50.0
    first_fixes: float = 0.0
    probe_503s: float = 0.0
    resets: tuple[int, ...] = ()
    """Indexes of the samples at which the pod restarted: its counters start again from 0."""

    @property
    def labels(self) -> dict[str, str]:
        """The new pod's target labels."""
        return {"job": "serving", "instance": NEW_INSTANCE}


NEW_INSTANCE = "serving-new:8000"


@dataclass(frozen=True)
class Scenario:
    """A deployment state, and what the gate must say about it.

    ``failing`` maps a check id (``test_x`` or ``test_x[param]``) to its expected outcome; every
    other check must pass. ``config_edits`` are (old, new) text replacements in gate.toml.
    """

    name: str
    verdict: str
    failing: dict[str, str] = field(default_factory=dict)
    error_share: float = 0.0
    traffic: bool = True
    schema_fixes_per_step: float = 0.0
    fix_counter_present: bool = True
    latency: dict[str, float] = field(default_factory=lambda: dict(HEALTHY_LATENCY))
    creative_slow_seconds: int = 0
    hit_share: dict[str, float] = field(
        default_factory=lambda: {"fast": 0.8, "balanced": 0.8, "creative": 0.5}
    )
    algorithms: dict[str, Algorithm] = field(default_factory=lambda: {"ppo": Algorithm()})
    gpu_free_ratios: tuple[float, ...] | None = (0.40, 0.45)
    serving_up: tuple[float, ...] = (1.0, 1.0)
    cpu_cores: float = 0.5
    memory_bytes: float = 2 * 2**30
    config_edits: tuple[tuple[str, str], ...] = ()
    new_instance: NewInstance | None = None
    gpu_exporter: str = "pytest-gate"
    """Whose series shape the GPUs are written in: pytest-gate, dcgm or nvidia-smi."""
    fixes_before: float = 0.0
    """Schema repairs (mode fast) counted long before every window: a lifetime value."""
    fixes_at: tuple[tuple[int, float], ...] = ()
    """(seconds before T, repairs) of mode fast at those steps."""
    error_burst: tuple[int, int, float] | None = None
    """(from, to seconds before T, 5xx share) of the requests in (T - from, T - to]."""
    scrape_gap: tuple[int, int] | None = None
    """(from, to seconds before T): no serving counter sample strictly between them."""
    reset_at: int | None = None
    """Seconds before T at which every serving counter restarts from 0 (that sample reads 0)."""
    lost_gpu_node: bool = False
    """A second GPU node whose exporter target went down: its GPU series stop
    :data:`LOST_GPU_NODE_DOWN_SECONDS` before T (stale at T), its ``up`` is 0 since."""

    @property
    def namespace(self) -> str:
        """The label value that selects this scenario."""
        return f"golden-{self.name}"


def _times(history_seconds: int, step_seconds: int) -> Iterator[tuple[int, float]]:
    steps = history_seconds // step_seconds
    for index in range(steps + 1):
        yield index, float(T - history_seconds + index * step_seconds)


def _counter(om: OpenMetrics, name: str, labels: dict[str, str], per_step: list[float]) -> None:
    total = 0.0
    for (_, ts), increment in zip(
        _times(COUNTER_HISTORY_SECONDS, COUNTER_STEP_SECONDS), per_step, strict=True
    ):
        total += increment
        om.sample(name, labels, total, ts, kind="counter")


def _gauge(
    om: OpenMetrics,
    name: str,
    labels: dict[str, str],
    values: list[float],
    history_seconds: int = GAUGE_HISTORY_SECONDS,
) -> None:
    steps = _times(history_seconds, GAUGE_STEP_SECONDS)
    for (_, ts), value in zip(steps, values, strict=True):
        om.sample(name, labels, value, ts)


def _counter_steps() -> list[float]:
    return [ts for _, ts in _times(COUNTER_HISTORY_SECONDS, COUNTER_STEP_SECONDS)]


def _gauge_steps(history_seconds: int = GAUGE_HISTORY_SECONDS) -> list[float]:
    return [ts for _, ts in _times(history_seconds, GAUGE_STEP_SECONDS)]


def write(om: OpenMetrics, s: Scenario) -> None:
    """Add every series of scenario ``s`` to ``om``."""
    base = {"namespace": s.namespace}
    steps = _counter_steps()
    flow = 1.0 if s.traffic else 0.0
    requests = [REQUESTS_PER_STEP * flow for _ in steps]
    _serving_http(om, base, requests, _error_shares(s, steps))
    for mode in MODES:
        mode_labels = {**base, "mode": mode}
        briefs = [BRIEFS_PER_STEP * flow for _ in steps]
        _counter(om, "llm_brief_total", {**mode_labels, "status": "success"}, briefs)
        _counter(om, "llm_brief_total", {**mode_labels, "status": "failure"}, [0.0 for _ in steps])
        if s.fix_counter_present:
            fix = {**mode_labels, "original_model": MODEL_BY_MODE[mode]}
            _counter(om, "llm_schema_fix_count_total", fix, _fixes(s, mode, steps))
        _latency(om, mode_labels, s, mode, briefs)
        hits = [LOOKUPS_PER_STEP * flow * s.hit_share[mode] for _ in steps]
        misses = [LOOKUPS_PER_STEP * flow * (1 - s.hit_share[mode]) for _ in steps]
        cache = {**mode_labels, "cache_type": "response"}
        _counter(om, "cache_hits_total", cache, hits)
        _counter(om, "cache_misses_total", cache, misses)
    if s.new_instance is not None:
        _new_instance(om, {**base, **s.new_instance.labels}, s.new_instance)
    if s.reset_at is not None:
        _restart(om, s.namespace, T - s.reset_at)
    if s.scrape_gap is not None:
        _drop_scrapes(om, s.namespace, T - s.scrape_gap[0], T - s.scrape_gap[1])
    _rl(om, base, s)
    _gpus(om, base, s)
    _resources(om, base, s)
    for index, up in enumerate(s.serving_up):
        labels = {**base, "job": "serving", "instance": f"serving-{index}:8000"}
        _gauge(om, "up", labels, [up for _ in _gauge_steps()])


SERVING_FAMILIES = (
    "http_requests",
    "llm_brief",
    "llm_schema_fix_count",
    "llm_brief_latency_seconds",
    "cache_hits",
    "cache_misses",
)
"""The serving pods' counter families (a scrape gap or a restart touches these)."""


def _fixes(s: Scenario, mode: str, steps: list[float]) -> list[float]:
    fixes = [s.schema_fixes_per_step for _ in steps]
    if mode != "fast":
        return fixes
    fixes[0] += s.fixes_before
    for seconds, count in s.fixes_at:
        fixes[steps.index(float(T - seconds))] += count
    return fixes


def _error_shares(s: Scenario, steps: list[float]) -> list[float]:
    if s.error_burst is None:
        return [s.error_share for _ in steps]
    start, end, share = s.error_burst
    return [share if T - start < ts <= T - end else s.error_share for ts in steps]


def _drop_scrapes(om: OpenMetrics, namespace: str, after: float, before: float) -> None:
    """The serving counters of ``namespace`` were not scraped strictly between the two times."""
    marker = f'namespace="{namespace}"'
    for family in SERVING_FAMILIES:
        om.samples[family] = [
            (ts, line)
            for ts, line in om.samples.get(family, [])
            if not (marker in line and after < ts < before)
        ]


def _restart(om: OpenMetrics, namespace: str, at: float) -> None:
    """The serving pods of ``namespace`` restarted at ``at``: their counters read 0 there."""
    marker = f'namespace="{namespace}"'
    for family in SERVING_FAMILIES:
        samples = om.samples.get(family, [])
        lost = {
            line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for ts, line in samples
            if marker in line and ts == at
        }
        restarted: list[tuple[float, str]] = []
        for ts, line in samples:
            series, value = line.rsplit(" ", 1)
            if series in lost and ts >= at:
                line = f"{series} {float(value) - lost[series]!r}"
            restarted.append((ts, line))
        om.samples[family] = restarted


def _serving_http(
    om: OpenMetrics, base: dict[str, str], requests: list[float], error_shares: list[float]
) -> None:
    labels = {**base, "method": "POST", "handler": "/v1/brief"}
    ok = [r * (1 - share) for r, share in zip(requests, error_shares, strict=True)]
    errors = [r * share for r, share in zip(requests, error_shares, strict=True)]
    _counter(om, "http_requests_total", {**labels, "status": "200"}, ok)
    _counter(om, "http_requests_total", {**labels, "status": "500"}, errors)


def _new_instance(om: OpenMetrics, labels: dict[str, str], new: NewInstance) -> None:
    """The new pod's counters: first sample at ``T - age`` holding its first values, then healthy."""
    times = [float(T - new.age_seconds + i * COUNTER_STEP_SECONDS) for i in range(new.samples)]

    def counter(name: str, series: dict[str, str], first: float, per_step: float) -> None:
        for index, ts in enumerate(times):
            run = max((r for r in new.resets if r <= index), default=0)
            value = first + index * per_step if run == 0 else (index - run) * per_step
            om.sample(name, {**labels, **series}, value, ts, kind="counter")

    brief = {"method": "POST", "handler": "/v1/brief"}
    ok = new.first_requests - new.first_errors
    counter("http_requests_total", {**brief, "status": "200"}, ok, REQUESTS_PER_STEP)
    counter("http_requests_total", {**brief, "status": "500"}, new.first_errors, 0.0)
    probe = {"method": "GET", "handler": "/health", "status": "503"}
    counter("http_requests_total", probe, new.probe_503s, 0.0)
    for mode in MODES:
        briefs = new.first_briefs / len(MODES)
        counter("llm_brief_total", {"mode": mode, "status": "success"}, briefs, BRIEFS_PER_STEP)
        fixes = new.first_fixes if mode == "fast" else 0.0
        fix = {"mode": mode, "original_model": MODEL_BY_MODE[mode]}
        counter("llm_schema_fix_count_total", fix, fixes, 0.0)


def _latency(
    om: OpenMetrics, labels: dict[str, str], s: Scenario, mode: str, briefs: list[float]
) -> None:
    steps = _counter_steps()
    slow_from = T - s.creative_slow_seconds
    latencies = [
        SLOW_CREATIVE_SECONDS if mode == "creative" and ts > slow_from else s.latency[mode]
        for ts in steps
    ]
    for bound in BUCKETS:
        le = "+Inf" if math.isinf(bound) else repr(bound)
        per_step = [
            n if value <= bound else 0.0 for n, value in zip(briefs, latencies, strict=True)
        ]
        _histogram_counter(om, "llm_brief_latency_seconds_bucket", {**labels, "le": le}, per_step)
    _histogram_counter(om, "llm_brief_latency_seconds_count", labels, briefs)
    sums = [n * value for n, value in zip(briefs, latencies, strict=True)]
    _histogram_counter(om, "llm_brief_latency_seconds_sum", labels, sums)


def _histogram_counter(
    om: OpenMetrics, name: str, labels: dict[str, str], per_step: list[float]
) -> None:
    total = 0.0
    for ts, increment in zip(_counter_steps(), per_step, strict=True):
        total += increment
        om.sample(name, labels, total, ts, kind="histogram")


def _rl(om: OpenMetrics, base: dict[str, str], s: Scenario) -> None:
    if s.algorithms:
        target = {**base, "job": "worker-rl", "instance": "worker-rl-0:9100"}
        _gauge(om, "up", target, [1.0 for _ in _gauge_steps()])
    steps = _gauge_steps(RL_HISTORY_SECONDS)
    for name, algo in s.algorithms.items():
        labels = {**base, "algorithm": name}
        losses = [
            algo.runaway_loss
            if algo.runaway_loss is not None and ts > T - algo.runaway_seconds
            else algo.loss + 0.02 * math.sin(index)
            for index, ts in enumerate(steps)
        ]
        policy = [-0.1 for _ in steps]
        _gauge(om, "rl_loss", {**labels, "loss_type": "total_loss"}, losses, RL_HISTORY_SECONDS)
        _gauge(om, "rl_loss", {**labels, "loss_type": "policy_loss"}, policy, RL_HISTORY_SECONDS)
        rewards = [
            1.0 + algo.reward_slope_per_hour * (ts - T) / 3600 + 0.01 * math.cos(index)
            for index, ts in enumerate(steps)
        ]
        reward = {**labels, "window": "100"}
        _gauge(om, "rl_reward_ma", reward, rewards, RL_HISTORY_SECONDS)


def _gpus(om: OpenMetrics, base: dict[str, str], s: Scenario) -> None:
    if s.gpu_free_ratios is None:
        return
    steps = _gauge_steps()
    target = {**base, **GPU_EXPORTER_TARGETS[s.gpu_exporter]}
    _gauge(om, "up", target, [1.0 for _ in steps])
    if s.lost_gpu_node:
        _lost_gpu_node(om, base)
    if s.gpu_exporter == "dcgm":
        total, reserved = H100_DCGM_TOTAL_MIB, H100_RESERVED_MIB
        dcgm = [
            DcgmGpu(i, f"GPU-{i:08d}-d9cf-fef3-62e9-d92044ab6e52", total * (1 - r) - reserved)
            for i, r in enumerate(s.gpu_free_ratios)
        ]
        write_dcgm(om, base, dcgm, steps)
        return
    if s.gpu_exporter == "nvidia-smi":
        smi = [
            SmiGpu(i, f"{i:08d}-3b4d-4e6f-8a9b-0c1d2e3f4a5b", H100_SMI_TOTAL_BYTES * r)
            for i, r in enumerate(s.gpu_free_ratios)
        ]
        write_nvidia_smi(om, base, smi, steps)
        return
    for index, free_ratio in enumerate(s.gpu_free_ratios):
        _pytest_gate_gpu(om, {**base, "instance": "node-a:9400"}, index, free_ratio, steps)


def _pytest_gate_gpu(
    om: OpenMetrics, labels: dict[str, str], index: int, free_ratio: float, steps: list[float]
) -> None:
    """One GPU's three ``gate-vram --serve`` gauges at ``steps``."""
    gpu = {**labels, "gpu": str(index), "uuid": f"GPU-{index:04d}", "name": "NVIDIA A100 80GB"}
    free = GPU_TOTAL_BYTES * free_ratio
    om.series("nvidia_gpu_memory_total_bytes", gpu, [(t, GPU_TOTAL_BYTES) for t in steps])
    om.series("nvidia_gpu_memory_free_bytes", gpu, [(t, free) for t in steps])
    om.series("nvidia_gpu_memory_used_bytes", gpu, [(t, GPU_TOTAL_BYTES - free) for t in steps])


def _lost_gpu_node(om: OpenMetrics, base: dict[str, str]) -> None:
    """node-b: two healthy GPUs until its exporter died, then only ``up == 0``."""
    died = T - LOST_GPU_NODE_DOWN_SECONDS
    steps = _gauge_steps()
    alive = [t for t in steps if t <= died]
    for index in (2, 3):
        _pytest_gate_gpu(om, {**base, "instance": LOST_GPU_NODE["instance"]}, index, 0.40, alive)
    target = {**base, **LOST_GPU_NODE}
    om.series("up", target, [(t, 1.0 if t <= died else 0.0) for t in steps])


def _resources(om: OpenMetrics, base: dict[str, str], s: Scenario) -> None:
    labels = {**base, "pod": "serving-0", "container": "serving"}
    cpu_per_step = [s.cpu_cores * COUNTER_STEP_SECONDS for _ in _counter_steps()]
    _counter(om, "container_cpu_usage_seconds_total", labels, cpu_per_step)
    steps = _gauge_steps()
    _gauge(om, "container_memory_working_set_bytes", labels, [s.memory_bytes for _ in steps])
    limits = "kube_pod_container_resource_limits"
    _gauge(
        om, limits, {**labels, "resource": "cpu", "unit": "core"}, [CPU_LIMIT_CORES for _ in steps]
    )
    memory = {**labels, "resource": "memory", "unit": "byte"}
    _gauge(om, limits, memory, [MEMORY_LIMIT_BYTES for _ in steps])
