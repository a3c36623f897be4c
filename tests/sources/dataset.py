"""The backfilled history the source tests query, with the numbers each query must give.

All series are sampled every 15 s over the three hours before ``T``, offset by 7 s so that no sample
sits on a window boundary (which makes every expected number exact). Scenarios are told apart by a
``scenario`` label, which the tests pass as the config's label selector.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tests.support.exporter_shapes import DcgmGpu, SmiGpu, write_dcgm, write_nvidia_smi
from tests.support.prometheus_server import OpenMetrics

T = 1_699_999_200.0
"""The evaluation instant (a whole hour, so subquery steps align)."""
START = T - 3 * 3600
STEP_SECONDS = 15
TIMES = [T - 7 - STEP_SECONDS * k for k in range(3 * 3600 // STEP_SECONDS)][::-1]
GIB = 1024**3

BOUNDS = ("0.5", "1.0", "2.5", "3.2", "4.5", "6.0", "+Inf")
FAST = (2, 5, 9, 10, 10, 10, 10)
"""Cumulative observations per second per bucket: p95 = 2.5 + 0.7 * 0.5 = 2.85 s."""
LOW = (0, 0, 10, 10, 10, 10, 10)
"""p95 = 1 + 1.5 * 0.95 = 2.425 s."""
HIGH = (0, 0, 0, 0, 8, 10, 10)
"""p95 = 4.5 + 1.5 * (1.5 / 2) = 5.625 s."""
SPIKE_AT = T - 120
"""creative_spike switches from LOW to HIGH two minutes before T."""

P95_FAST = 2.85
P95_LOW = 2.425
P95_HIGH = 5.625

DCGM_GPUS = (
    DcgmGpu(0, "GPU-604ac76c-d9cf-fef3-62e9-d92044ab6e52", used_mib=20480.0),
    DcgmGpu(1, "GPU-2a5f9c0e-7d41-4b8e-9f3a-0c6d2e8b1f47", used_mib=72704.0),
)
"""dcgm-exporter's view of two H100s: the first 74% free, the second 10.3% free (fails)."""
SMI_GPUS = (
    SmiGpu(0, "5f8e1c2a-3b4d-4e6f-8a9b-0c1d2e3f4a5b", free_bytes=64238911488.0),
    SmiGpu(1, "9d7c6b5a-4e3f-4a2b-9c8d-7e6f5a4b3c2d", free_bytes=6442450944.0),
)
"""nvidia_gpu_exporter's view of two H100s: the capture's 75% free, and one 7.5% free (fails)."""

GPU_TOTAL_BYTES = 80 * GIB
GPU_FREE_BYTES = (40 * GIB, 40 * GIB, 4 * GIB, 40 * GIB)
"""Four GPUs; only the third (gpu="2") is low: 5% free."""


def reward(t: float) -> float:
    """``rl_reward_ma`` at sample time ``t``: a steady climb."""
    return 0.001 * (t - START)


def _counter(
    om: OpenMetrics, name: str, labels: dict[str, str], per_second: Callable[[float], float]
) -> None:
    om.series(name, labels, [(t, per_second(t)) for t in TIMES], kind="counter")


def _linear(rate: float, base: float = 0.0) -> Callable[[float], float]:
    return lambda t: base + rate * (t - START)


def _histogram(
    om: OpenMetrics, labels: dict[str, str], rates: Callable[[float], Sequence[float]]
) -> None:
    name = "llm_brief_latency_seconds"
    for t in TIMES:
        cumulative = rates(t)
        for bound, value in zip(BOUNDS, cumulative, strict=True):
            om.sample(f"{name}_bucket", {**labels, "le": bound}, value, t, kind="histogram")
        om.sample(f"{name}_count", labels, cumulative[-1], t, kind="histogram")
        om.sample(f"{name}_sum", labels, cumulative[-1] * 2.0, t, kind="histogram")


def _steady(per_second: Sequence[int]) -> Callable[[float], Sequence[float]]:
    return lambda t: [p * (t - START) for p in per_second]


def _spike(t: float) -> Sequence[float]:
    before = min(t, SPIKE_AT) - START
    after = max(0.0, t - SPIKE_AT)
    return [lo * before + hi * after for lo, hi in zip(LOW, HIGH, strict=True)]


def _ratio_scenarios(om: OpenMetrics) -> None:
    ratio = {"scenario": "ratio"}
    _counter(om, "llm_brief_total", {**ratio, "mode": "fast", "status": "success"}, _linear(2))
    _counter(om, "llm_brief_total", {**ratio, "mode": "balanced", "status": "success"}, _linear(1))
    creative = {**ratio, "mode": "creative", "status": "success"}
    _counter(om, "llm_brief_total", creative, _linear(0, 5))
    _counter(
        om,
        "llm_schema_fix_count_total",
        {**ratio, "mode": "balanced", "original_model": "q"},
        _linear(0.1),
    )
    idle = {"scenario": "idle"}
    _counter(om, "llm_brief_total", {**idle, "mode": "fast", "status": "success"}, _linear(0, 7))
    _counter(om, "llm_schema_fix_count_total", {**idle, "mode": "fast"}, _linear(0))
    for instance, ok, bad in (("a", 10.0, 0.0), ("b", 9.0, 1.0)):
        labels = {"scenario": "http", "instance": instance, "handler": "/v1/brief"}
        _counter(om, "http_requests_total", {**labels, "status": "200"}, _linear(ok))
        _counter(om, "http_requests_total", {**labels, "status": "500"}, _linear(bad))


def _latency_scenarios(om: OpenMetrics) -> None:
    latency = {"scenario": "latency"}
    _histogram(om, {**latency, "mode": "fast"}, _steady(FAST))
    _histogram(om, {**latency, "mode": "balanced"}, _steady(LOW))
    _histogram(om, {**latency, "mode": "idle"}, lambda t: [3.0] * len(BOUNDS))
    _histogram(om, {**latency, "mode": "creative_high"}, _steady(HIGH))
    _histogram(om, {**latency, "mode": "creative_spike"}, _spike)


def _gauge_scenarios(om: OpenMetrics) -> None:
    for gpu, free in enumerate(GPU_FREE_BYTES):
        labels = {"scenario": "gpu", "gpu": str(gpu), "uuid": f"GPU-{gpu}", "name": "NVIDIA H100"}
        om.series("nvidia_gpu_memory_total_bytes", labels, [(t, GPU_TOTAL_BYTES) for t in TIMES])
        om.series("nvidia_gpu_memory_free_bytes", labels, [(t, free) for t in TIMES])
        used = GPU_TOTAL_BYTES - free
        om.series("nvidia_gpu_memory_used_bytes", labels, [(t, used) for t in TIMES])
        partial = {**labels, "scenario": "gpu_partial"}
        om.series("nvidia_gpu_memory_total_bytes", partial, [(t, GPU_TOTAL_BYTES) for t in TIMES])
        if gpu != 1:
            om.series("nvidia_gpu_memory_free_bytes", partial, [(t, free) for t in TIMES])
        used_only = {**labels, "scenario": "gpu_used_only"}
        om.series("nvidia_gpu_memory_total_bytes", used_only, [(t, GPU_TOTAL_BYTES) for t in TIMES])
        om.series("nvidia_gpu_memory_used_bytes", used_only, [(t, used) for t in TIMES])
    for instance, value in (("a", 1.0), ("b", 0.0)):
        labels = {"scenario": "up", "job": "serving", "instance": instance}
        om.series("up", labels, [(t, value) for t in TIMES])
    stale = [(t, 1.0) for t in TIMES if t < T - 600]
    om.series("llm_model_loaded", {"scenario": "stale", "model": "qwen_32b"}, stale)
    special = {"scenario": "special", "loss_type": "total_loss"}
    om.series("rl_loss", {**special, "algorithm": "nan"}, [(t, float("nan")) for t in TIMES])
    om.series("rl_loss", {**special, "algorithm": "inf"}, [(t, float("inf")) for t in TIMES])
    rl = {"scenario": "rl", "algorithm": "ppo"}
    loss = [(t, 3.0 if t >= T - 3600 else 1.0) for t in TIMES]
    om.series("rl_loss", {**rl, "loss_type": "total_loss"}, loss)
    om.series("rl_reward_ma", {**rl, "window": "100"}, [(t, reward(t)) for t in TIMES])


def _exporter_scenarios(om: OpenMetrics) -> None:
    """Real exporter shapes (``tests/support/exporter_shapes.py`` says where each comes from)."""
    write_dcgm(om, {"scenario": "dcgm"}, DCGM_GPUS, TIMES[-40:])
    write_dcgm(om, {"scenario": "dcgm_old"}, DCGM_GPUS, TIMES[-40:], reserved=False)
    write_nvidia_smi(om, {"scenario": "smi"}, SMI_GPUS, TIMES[-40:])
    write_nvidia_smi(om, {"scenario": "smi_no_info"}, SMI_GPUS, TIMES[-40:], info=False)


def build() -> OpenMetrics:
    """Every scenario in one OpenMetrics file (one Prometheus serves them all)."""
    om = OpenMetrics()
    _ratio_scenarios(om)
    _latency_scenarios(om)
    _gauge_scenarios(om)
    _exporter_scenarios(om)
    return om


def reward_at(point: float) -> float:
    """The value a range query shows at ``point``: the latest sample at or before it."""
    return reward(max(t for t in TIMES if t <= point))
