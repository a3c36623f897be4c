"""Backfill data shaped like DESIGN §6 (plus the assumed scaling inputs) for dashboard tests.

The numbers are chosen so the panels have known answers: cache hit rate fast 75%, balanced 50%,
creative 25%; GPU 0 has 30% headroom and GPU 1 has 40%; the gate said GO in production and
NO-GO in staging; every model is loaded; no 5xx series exists at all (a real 0 error ratio).
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.support.prometheus_server import OpenMetrics


@dataclass(frozen=True)
class Gpu:
    """One GPU of the backfilled VRAM exporter."""

    gpu: str
    uuid: str
    name: str
    total_bytes: float
    free_bytes: float

STEP_SECONDS = 15
SPAN_SECONDS = 40 * 60
MODES = ("fast", "balanced", "creative")
CACHE_RATES = {"fast": (3.0, 1.0), "balanced": (1.0, 1.0), "creative": (1.0, 3.0)}
LATENCY_BUCKETS = ("0.5", "1", "2.5", "3.2", "4.5", "8", "+Inf")
MODELS = ("qwen_32b", "llama3_8b", "mistral_7b")
SERVING = {"job": "worker-llm", "instance": "10.0.3.7:8000"}
GPUS = (
    Gpu(gpu="0", uuid="GPU-0a", name="NVIDIA L40S", total_bytes=48e9, free_bytes=14.4e9),
    Gpu(gpu="1", uuid="GPU-1b", name="NVIDIA L40S", total_bytes=48e9, free_bytes=19.2e9),
)
EXPECTED_HIT_RATE = {mode: hits / (hits + misses) for mode, (hits, misses) in CACHE_RATES.items()}


def _times(end: float) -> list[float]:
    count = SPAN_SECONDS // STEP_SECONDS
    return [end - (count - i) * STEP_SECONDS for i in range(count + 1)]


def _counter(om: OpenMetrics, name: str, labels: dict[str, str], per_second: float,
             times: list[float]) -> None:
    start = times[0]
    om.series(name, labels, [(t, per_second * (t - start)) for t in times], kind="counter")


def _gauge(om: OpenMetrics, name: str, labels: dict[str, str], value: float,
           times: list[float]) -> None:
    om.series(name, labels, [(t, value) for t in times])


def contract_openmetrics(end: float) -> OpenMetrics:
    """Every series the dashboard and recording rules read, up to unix time ``end``."""
    times = _times(end)
    om = OpenMetrics()
    _counter(om, "http_requests_total",
             {**SERVING, "method": "POST", "handler": "/v1/brief", "status": "200"}, 5.0, times)
    for mode in MODES:
        for status, rate in (("success", 1.0), ("failure", 0.0)):
            _counter(om, "llm_brief_total", {**SERVING, "mode": mode, "status": status}, rate, times)
        _counter(om, "llm_schema_fix_count_total",
                 {**SERVING, "mode": mode, "original_model": "qwen_32b"}, 0.0, times)
        hits, misses = CACHE_RATES[mode]
        _counter(om, "cache_hits_total", {**SERVING, "mode": mode, "cache_type": "llm"}, hits, times)
        _counter(om, "cache_misses_total", {**SERVING, "mode": mode, "cache_type": "llm"},
                 misses, times)
        for i, le in enumerate(LATENCY_BUCKETS):
            share = min(1.0, 0.2 * (i + 1))
            om.series("llm_brief_latency_seconds_bucket", {**SERVING, "mode": mode, "le": le},
                      [(t, share * (t - times[0])) for t in times], kind="histogram")
        om.series("llm_brief_latency_seconds_count", {**SERVING, "mode": mode},
                  [(t, t - times[0]) for t in times], kind="histogram")
        om.series("llm_brief_latency_seconds_sum", {**SERVING, "mode": mode},
                  [(t, 2.0 * (t - times[0])) for t in times], kind="histogram")
    for model in MODELS:
        _gauge(om, "llm_model_loaded", {**SERVING, "model": model}, 1.0, times)
    exporter = {"job": "gpu-exporter", "instance": "gpu-node-1:9400"}
    for gpu in GPUS:
        labels = {**exporter, "gpu": gpu.gpu, "uuid": gpu.uuid, "name": gpu.name}
        total, free = gpu.total_bytes, gpu.free_bytes
        _gauge(om, "nvidia_gpu_memory_total_bytes", labels, total, times)
        _gauge(om, "nvidia_gpu_memory_free_bytes", labels, free, times)
        _gauge(om, "nvidia_gpu_memory_used_bytes", labels, total - free, times)
    gate = {"job": "deployment_gate"}
    _gauge(om, "deployment_gate_status", {**gate, "environment": "production"}, 2.0, times)
    _gauge(om, "deployment_gate_status", {**gate, "environment": "staging"}, 0.0, times)
    ksm = {"job": "kube-state-metrics", "namespace": "llm-serving"}
    for deployment, replicas in (("app", 2.0), ("worker-llm", 2.0), ("worker-rl", 1.0)):
        _gauge(om, "kube_deployment_spec_replicas", {**ksm, "deployment": deployment}, replicas,
               times)
    _gauge(om, "llm_queue_depth", {"job": "queue-exporter"}, 120.0, times)
    _gauge(om, "rl_training_queue_depth", {"job": "queue-exporter"}, 5.0, times)
    return om
