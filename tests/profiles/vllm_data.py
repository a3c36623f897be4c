"""vLLM-shaped metrics for the vllm profile's golden scenarios, written as OpenMetrics.

Names, types, labels and bucket bounds are vLLM's own, from ``vllm/v1/metrics/loggers.py``
(vllm-project/vllm at 005a810bc40faa25b8870fbc8559c3462581eee3, ``PrometheusStatLogger``): every
series carries ``model_name`` and ``engine``; ``vllm:request_success_total`` has one series per
``finished_reason`` the version knows, initialised at 0 (``stop``, ``length``, ``abort``; newer
versions add ``error`` and ``repetition``, ``vllm/v1/engine/__init__.py`` FINISH_REASON_STRINGS).
Newer loggers.py versions add ``vllm:inter_token_latency_seconds`` with the bucket bounds of the
older ``vllm:time_per_output_token_seconds`` ("DEPRECATED: Use vllm:inter_token_latency_seconds
instead."). The API server's ``http_requests_total{handler, method, status}`` is
prometheus-fastapi-instrumentator's with grouped status classes (``"2xx"``, ``"5xx"``);
``vllm/entrypoints/serve/instrumentator/metrics.py`` (02a69ad2710b79425c217f79dd4ad8e4ea671ee1)
leaves ``/metrics``, ``/health``, ``/load``, ``/ping``, ``/version``, ``/server_info`` out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from tests.support.exporter_shapes import (
    H100_DCGM_TOTAL_MIB,
    H100_RESERVED_MIB,
    DcgmGpu,
    write_dcgm,
)
from tests.support.prometheus_server import OpenMetrics

T = 1_749_999_600  # 2025-06-15T15:00:00Z, as the default gate's golden scenarios
STEP_SECONDS = 30
HISTORY_SECONDS = 35 * 60
TTFT_BUCKETS = (
    0.001,
    0.005,
    0.01,
    0.02,
    0.04,
    0.06,
    0.08,
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
    20.0,
    40.0,
    80.0,
    160.0,
    640.0,
    2560.0,
)
ITL_BUCKETS = (
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.15,
    0.2,
    0.3,
    0.4,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
    20.0,
    40.0,
    80.0,
)
REQUEST_BUCKETS = (
    0.3,
    0.5,
    0.8,
    1.0,
    1.5,
    2.0,
    2.5,
    5.0,
    10.0,
    15.0,
    20.0,
    30.0,
    40.0,
    50.0,
    60.0,
    120.0,
    240.0,
    480.0,
    960.0,
    1920.0,
    7680.0,
)
NEW_REASONS = ("stop", "length", "abort", "error", "repetition")
OLD_REASONS = ("stop", "length", "abort")
MODELS = ("llama-3.1-8b", "qwen2.5-7b")
REQUESTS_PER_STEP = 60.0
TOKENS_PER_REQUEST = 50.0
LENGTH_SHARE = 0.2
JOB = "vllm"


@dataclass(frozen=True)
class Model:
    """One served model's behaviour over the history (healthy defaults)."""

    ttft_seconds: float = 0.3
    itl_seconds: float = 0.03
    e2e_seconds: float = 4.0
    queue_seconds: float = 0.05
    abort_share: float = 0.0
    error_share: float = 0.0
    preemptions_per_step: float = 0.0
    kv_cache_usage: float = 0.4
    waiting: float = 1.0
    born_seconds_ago: int | None = None
    """When set, the model's first sample is this long before T and already holds one step."""


@dataclass(frozen=True)
class VllmScenario:
    """A vLLM deployment state, and what the profile must say about it."""

    name: str
    verdict: str
    failing: dict[str, str] = field(default_factory=dict)
    models: dict[str, Model] = field(default_factory=lambda: {m: Model() for m in MODELS})
    api_5xx_share: float = 0.0
    new_version: bool = True
    """False: a vLLM before the renames (no "error" reason, old ITL and KV-cache names)."""
    engine_exported: bool = True
    gpu_used_share: float = 0.91

    @property
    def namespace(self) -> str:
        """The label value that selects this scenario."""
        return f"vllm-{self.name}"


def _times(born_seconds_ago: int | None) -> list[float]:
    start = T - (HISTORY_SECONDS if born_seconds_ago is None else born_seconds_ago)
    return [float(t) for t in range(start, T + 1, STEP_SECONDS)]


def _counter(
    om: OpenMetrics,
    name: str,
    labels: dict[str, str],
    times: list[float],
    per_step: float,
    kind: str = "counter",
) -> None:
    """A counter that holds ``per_step`` at its first sample and grows by it every step."""
    om.series(name, labels, [(t, per_step * (i + 1)) for i, t in enumerate(times)], kind=kind)


def _histogram(
    om: OpenMetrics,
    name: str,
    labels: dict[str, str],
    times: list[float],
    buckets: tuple[float, ...],
    per_step: float,
    value: float,
) -> None:
    """Every observation of a step at ``value``: the buckets at and above it count them."""
    for bound in (*buckets, math.inf):
        le = "+Inf" if math.isinf(bound) else repr(bound)
        counted = per_step if value <= bound else 0.0
        _counter(om, f"{name}_bucket", {**labels, "le": le}, times, counted, "histogram")
    _counter(om, f"{name}_count", labels, times, per_step, "histogram")
    _counter(om, f"{name}_sum", labels, times, per_step * value, "histogram")


def _gauge(
    om: OpenMetrics, name: str, labels: dict[str, str], times: list[float], value: float
) -> None:
    om.series(name, labels, [(t, value) for t in times])


def _model(om: OpenMetrics, base: dict[str, str], s: VllmScenario, name: str, m: Model) -> None:
    labels = {**base, "job": JOB, "instance": f"{name}:8000", "model_name": name, "engine": "0"}
    times = _times(m.born_seconds_ago)
    reasons = NEW_REASONS if s.new_version else OLD_REASONS
    per_reason = {
        "stop": REQUESTS_PER_STEP * (1 - LENGTH_SHARE - m.abort_share - m.error_share),
        "length": REQUESTS_PER_STEP * LENGTH_SHARE,
        "abort": REQUESTS_PER_STEP * m.abort_share,
        "error": REQUESTS_PER_STEP * m.error_share,
    }
    for reason in reasons:
        series = {**labels, "finished_reason": reason}
        _counter(om, "vllm:request_success_total", series, times, per_reason.get(reason, 0.0))
    _counter(om, "vllm:num_preemptions_total", labels, times, m.preemptions_per_step)
    itl = (
        "vllm:inter_token_latency_seconds"
        if s.new_version
        else ("vllm:time_per_output_token_seconds")
    )
    tokens = REQUESTS_PER_STEP * TOKENS_PER_REQUEST
    for metric, buckets, per_step, value in (
        ("vllm:time_to_first_token_seconds", TTFT_BUCKETS, REQUESTS_PER_STEP, m.ttft_seconds),
        (itl, ITL_BUCKETS, tokens, m.itl_seconds),
        ("vllm:e2e_request_latency_seconds", REQUEST_BUCKETS, REQUESTS_PER_STEP, m.e2e_seconds),
        ("vllm:request_queue_time_seconds", REQUEST_BUCKETS, REQUESTS_PER_STEP, m.queue_seconds),
    ):
        _histogram(om, metric, labels, times, buckets, per_step, value)
    kv = "vllm:kv_cache_usage_perc" if s.new_version else "vllm:gpu_cache_usage_perc"
    _gauge(om, kv, labels, times, m.kv_cache_usage)
    _gauge(om, "vllm:num_requests_waiting", labels, times, m.waiting)
    _gauge(om, "vllm:num_requests_running", labels, times, 8.0)
    _gauge(om, "up", {**base, "job": JOB, "instance": f"{name}:8000"}, times, 1.0)
    api = {**labels, "method": "POST", "handler": "/v1/chat/completions"}
    _counter(
        om,
        "http_requests_total",
        {**api, "status": "2xx"},
        times,
        REQUESTS_PER_STEP * (1 - s.api_5xx_share),
    )
    _counter(
        om,
        "http_requests_total",
        {**api, "status": "5xx"},
        times,
        REQUESTS_PER_STEP * s.api_5xx_share,
    )
    models = {**labels, "method": "GET", "handler": "/v1/models", "status": "2xx"}
    _counter(om, "http_requests_total", models, times, 1.0)


def write(om: OpenMetrics, s: VllmScenario) -> None:
    """Add every series of scenario ``s`` to ``om`` under its own namespace."""
    base = {"namespace": s.namespace}
    for name, model in s.models.items():
        if s.engine_exported:
            _model(om, base, s, name, model)
    if not s.engine_exported:  # an API server whose engine series are not scraped at all
        labels = {
            **base,
            "job": JOB,
            "instance": "vllm:8000",
            "method": "POST",
            "handler": "/v1/chat/completions",
            "status": "2xx",
        }
        _counter(om, "http_requests_total", labels, _times(None), REQUESTS_PER_STEP)
        _gauge(om, "up", {**base, "job": JOB, "instance": "vllm:8000"}, _times(None), 1.0)
    used = H100_DCGM_TOTAL_MIB * s.gpu_used_share - H100_RESERVED_MIB
    gpus = [DcgmGpu(i, f"GPU-{i:08d}-d9cf-fef3-62e9-d92044ab6e52", used) for i in range(2)]
    write_dcgm(om, base, gpus, _times(None)[-10:])
